// Shared pieces of the five vendor clients: client and call option checks, credential
// registration, base URLs, source resolution, and `runOp`, which runs one native vendor
// operation (`engine.run(op, spec)`) with abort, progress, error mapping and the caller's stack.
// The protocol logic (requests, JSON, parts, MD5s, retries) lives in the native engine.
import * as path from 'path';
import { inferContentType } from '../content-type';
import { getDefaultEngine, isEngine, type Engine, type RetryOptions, type TimeoutOptions } from '../engine';
import { InternalError, UpliftError, withCallSite } from '../errors';
import type { NativeHandle, NativeJobOptions, NativeProgress, NativeTypedOps } from '../native';
import { checkUploadCommon, urlProber, type CheckedCommon, type Source, type UploadCommonOptions } from '../primitives';
import { registerSecret } from '../redact';
import { runNative, safeProgress } from '../run';
import { resolveSource, urlFileName, withStreamCause, type ResolvedSource } from '../source';
import { checkKnownKeys, checkString, checkUrl, invalid, isPlainObject, type NormalizedSource, type Progress } from '../validate';

export type VendorName = 'eka' | 'kore' | 'plaud' | 'scripe' | 'heify';

/** Options of a vendor call that sends no file (presign, complete). */
export interface CallOptions {
  signal?: AbortSignal;
  /** Engine for this call; the client's engine (or the shared default) otherwise. */
  engine?: Engine;
  retry?: RetryOptions;
  timeouts?: TimeoutOptions;
  /** Proxy for this call ('http://…', 'https://…', 'socks5://…' or false); the engine's otherwise. */
  proxy?: string | false;
  /** Hosts this call reaches directly. */
  noProxy?: string | string[];
}

/** Options of a vendor call that sends bytes: onProgress, signal, concurrency, engine, retry, timeouts. */
export type VendorUploadOptions = UploadCommonOptions;

/** Keys a call without a file accepts besides its vendor fields. */
export const CALL_KEYS: readonly string[] = ['signal', 'engine', 'retry', 'timeouts', 'proxy', 'noProxy'];

/** Largest credential accepted, in characters. */
const MAX_SECRET_CHARS = 4096;

/** Checks a client's options object and its known keys; returns it typed as a record. */
export function checkClientOptions(vendor: VendorName, opts: unknown, keys: readonly string[]): Record<string, unknown> {
  const field = `${vendor}.client(options)`;
  if (!isPlainObject(opts)) throw invalid(field, 'an options object', opts);
  checkKnownKeys(field, opts, keys);
  return opts;
}

/**
 * A credential sent in a header (token, API key): visible ASCII, no spaces. It is registered
 * for redaction, so no message or log line of the library can show it; registrations last for
 * the life of the process (a key seen once stays hidden).
 */
export function checkSecret(field: string, v: unknown): string {
  const s = checkString(field, v, { nonEmpty: true, maxLength: MAX_SECRET_CHARS, pattern: /^[\x21-\x7e]+$/, expected: 'a non-empty string of visible ASCII characters (no spaces)' });
  registerSecret(s);
  return s;
}

/**
 * A base URL: absolute http(s), no query or fragment; trailing slashes are removed so
 * `${baseUrl}/documented/path` is the request URL. `fallback` is used when `v` is undefined.
 */
export function checkBaseUrl(field: string, v: unknown, fallback?: string): string {
  if (v === undefined && fallback !== undefined) return fallback;
  const url = checkUrl(field, v);
  if (url.includes('?') || url.includes('#')) throw invalid(field, 'a base URL without query string or fragment', url);
  return url.replace(/\/+$/, '');
}

/** An engine given as a client option, or undefined. */
export function checkClientEngine(field: string, v: unknown): Engine | undefined {
  if (v === undefined) return undefined;
  if (!isEngine(v)) throw invalid(field, 'an Engine', v);
  return v;
}

/** Checks the options of a call that sends no file: vendor keys plus CALL_KEYS. */
export function checkCall(field: string, opts: unknown, vendorKeys: readonly string[]): CheckedCommon {
  if (opts !== undefined && !isPlainObject(opts)) throw invalid(field, 'an options object', opts);
  checkKnownKeys(field, (opts ?? {}) as Record<string, unknown>, [...vendorKeys, ...CALL_KEYS]);
  return checkUploadCommon(field, opts, vendorKeys);
}

/** Checks the options of a call that sends bytes: vendor keys plus the common upload options. */
export function checkUpload(field: string, opts: unknown, vendorKeys: readonly string[]): CheckedCommon {
  if (isPlainObject(opts) && opts.md5 !== undefined) {
    throw invalid(`${field}.md5`, 'no md5 option: vendor uploads always verify their bytes by MD5', opts.md5);
  }
  return checkUploadCommon(field, opts, vendorKeys);
}

/** The job options a native spec carries (retry, timeouts), without undefined fields. */
export function jobFields(job: NativeJobOptions): NativeJobOptions {
  const out: NativeJobOptions = {};
  if (job.retry !== undefined) out.retry = job.retry;
  if (job.timeouts !== undefined) out.timeouts = job.timeouts;
  if (job.progressIntervalMs !== undefined) out.progressIntervalMs = job.progressIntervalMs;
  if (job.proxy !== undefined) out.proxy = job.proxy;
  if (job.maxBytesPerSecond !== undefined) out.maxBytesPerSecond = job.maxBytesPerSecond;
  if (job.control !== undefined) out.control = job.control;
  return out;
}

export interface OpContext {
  vendor: VendorName;
  /** An Error created at the public entry point, whose stack the failure takes. */
  site: Error;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  job?: NativeJobOptions;
}

interface RunCapable {
  run?<T>(op: string, spec: object, onProgress?: (p: NativeProgress) => void): NativeHandle<T>;
}

/**
 * Runs the native vendor operation `op` (e.g. 'plaud.uploadFile') with `spec` plus the job
 * options, on `engine`. Rejects with the mapped UpliftError carrying `vendor` and the stack
 * of `ctx.site`.
 */
export async function runOp<T>(engine: Engine, op: string, spec: object, ctx: OpContext): Promise<T> {
  return runNative<T>(
    () => {
      const n = engine.nativeEngine() as RunCapable;
      if (typeof n.run !== 'function') {
        throw new InternalError('this build of the native addon has no vendor operations (engine.run); rebuild it with `npm run build:native`');
      }
      return n.run<T>(op, { ...spec, ...jobFields(ctx.job ?? {}) }, safeProgress(ctx.onProgress));
    },
    { signal: ctx.signal, onProgress: ctx.onProgress, vendor: ctx.vendor, site: ctx.site, label: op, operation: op },
  );
}

/** runOp for a typed op: its spec is checked against the shape the binding reads. */
export function runTypedOp<K extends keyof NativeTypedOps, T>(
  engine: Engine, op: K, spec: NativeTypedOps[K] & Pick<NativeJobOptions, 'onPart'>, ctx: OpContext,
): Promise<T> {
  return runOp<T>(engine, op, spec, ctx);
}

/**
 * Runs a public vendor method: any rejection is an UpliftError with `vendor` set (when the
 * error is not already tied to one) and the stack of `site`.
 */
export async function guard<T>(vendor: VendorName, site: Error, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UpliftError && e.vendor === undefined) e.vendor = vendor;
    throw withCallSite(e, site);
  }
}

/** Builds a client; a failure is thrown with `vendor` set. */
export function construct<T>(vendor: VendorName, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof UpliftError && e.vendor === undefined) e.vendor = vendor;
    throw e;
  }
}

/** The engine of a call: the call's, else the client's, else the shared default. */
export function pickEngine(common: CheckedCommon, clientEngine: Engine | undefined): Engine {
  return common.engine ?? clientEngine ?? getDefaultEngine();
}

/** Resolves every source (streams are spooled), runs `fn`, and always releases them all. */
export async function withSources<T>(
  sources: readonly NormalizedSource[],
  common: CheckedCommon,
  fn: (resolved: ResolvedSource[]) => Promise<T>,
  /**
   * The flow reads native streams of known size (Plaud, Scripe, Heify, Eka), for every
   * source or those the function picks; the others (Kore) spool them.
   */
  streaming: boolean | ((index: number) => boolean) = false,
): Promise<T> {
  const resolved: ResolvedSource[] = [];
  try {
    for (const [i, s] of sources.entries()) {
      resolved.push(await resolveSource(s, {
        spoolLimitBytes: common.spoolLimitBytes, signal: common.signal,
        streaming: typeof streaming === 'function' ? streaming(i) : streaming, streamBufferBytes: common.streamBufferBytes,
        probeUrl: urlProber(common.engine ?? getDefaultEngine(), common),
      }));
    }
    return await fn(resolved);
  } catch (e) {
    throw withStreamCause(e, resolved);
  } finally {
    await Promise.all(resolved.map((r) => r.release().catch(() => undefined)));
  }
}

/** File name a checked source carries before it is resolved: a path's base name or a stream's `name`. */
export function nameOfSource(s: NormalizedSource): string | undefined {
  if (s.kind === 'path') return path.basename(s.path);
  if (s.kind === 'stream') return s.name === undefined ? undefined : path.basename(s.name);
  if (s.kind === 'url') return s.name === undefined ? urlFileName(s.url) : path.basename(s.name);
  return undefined;
}

/** Content type: the explicit one, else the stream's, else inferred from `name`, else `fallback`. */
export function contentTypeFor(explicit: string | undefined, src: ResolvedSource, name: string | undefined, fallback = 'application/octet-stream'): string {
  return explicit ?? src.contentType ?? (name ? inferContentType(name) : undefined) ?? fallback;
}

export type { Source };

/** withSources for flows whose engine side reads native streams (no spooling for known sizes). */
export function withStreamingSources<T>(
  sources: readonly NormalizedSource[],
  common: CheckedCommon,
  fn: (resolved: ResolvedSource[]) => Promise<T>,
): Promise<T> {
  return withSources(sources, common, fn, true);
}
