// The three generic primitives for any presigned flow: putPresigned, postPresignedForm and
// uploadPresignedParts. Options are checked here; the bytes move in the native engine.
import * as path from 'path';
import { inferContentType } from './content-type';
import { getDefaultEngine, isEngine, checkRetry, checkTimeouts, type Engine, type RetryOptions, type TimeoutOptions } from './engine';
import { InvalidArgumentError, SourceError, UpliftError, withCallSite } from './errors';
import type { NativeJobOptions, NativeProbeSpec } from './native';
import { isUploadController, type UploadController } from './controller';
import { checkBandwidth } from './engine';
import { resolveProxy } from './proxy';
import { runNative, safeProgress } from './run';
import { resolveSource, withStreamCause, type ResolvedSource, type UrlProbe } from './source';
import {
  checkBoolean, checkCommon, checkContentType, checkFunction, checkHeaders, checkInteger, checkKnownKeys, checkPartUrls, checkSource, checkString, checkUrl,
  COMMON_KEYS, invalid, isPlainObject, statSource, type CommonOptions,
} from './validate';

/**
 * A URL source: the engine streams `GET url` (typically a presigned GET of your own storage)
 * straight into the upload by byte ranges, with bounded memory and no temporary file.
 * `headers` go with every GET and are treated as secrets; `size` in bytes skips the size
 * probe (one `Range: bytes=0-0` GET); `name` / `contentType` default to the URL path's last
 * segment and its inferred type.
 */
export interface UrlSource { url: string; headers?: Record<string, string>; size?: number; name?: string; contentType?: string }

/** A file path (streamed from disk), a Buffer/Uint8Array, a Readable `{ stream, size?, name?, contentType? }`, or a URL `{ url, headers?, size? }`. */
export type Source = string | Uint8Array | NodeJS.ReadableStream | { stream: NodeJS.ReadableStream; size?: number; name?: string; contentType?: string } | UrlSource;

export interface UploadCommonOptions extends CommonOptions<Engine> {
  retry?: RetryOptions;
  timeouts?: TimeoutOptions;
  /** Largest stream of unknown size spooled to a temporary file. Default 8 GiB. */
  spoolLimitBytes?: number;
  /**
   * In-memory window of a Readable source whose size is known, streamed without touching
   * disk: the Readable is paused while this many bytes wait. Default 8 MiB; multipart flows
   * raise it to (concurrency + 1) parts.
   */
  streamBufferBytes?: number;
  /**
   * Compute the MD5 of the bytes sent (default true). It runs on a worker thread beside the
   * upload but costs ~1.4 CPU s per GiB; with false, `md5` in the result is ''.
   */
  md5?: boolean;
  /** Proxy for this call ('http://…', 'https://…', 'socks5://…' or false); the engine's otherwise. */
  proxy?: string | false;
  /** Hosts this call reaches directly (with `proxy`, or with the environment's proxies). */
  noProxy?: string | string[];
  /** Cap for this upload alone, in bytes per second (the engine's cap applies as well). */
  maxBytesPerSecond?: number | null;
  /** Pause / resume this upload (and any other given the same controller). */
  controller?: UploadController;
}

export interface PutPresignedOptions extends UploadCommonOptions {
  /** Extra request headers (e.g. signed x-amz-meta-*). */
  headers?: Record<string, string>;
  /** Content-Type header; inferred from a file name when absent and not in headers. */
  contentType?: string;
  /** HTTP method, PUT by default. */
  method?: 'PUT' | 'POST';
}
export interface PutPresignedResult { status: number; etag: string; bytes: number; md5: string }

export interface PostPresignedFormOptions extends UploadCommonOptions {
  /** Name of the file field. Default 'file'. */
  fileField?: string;
  /** File name in the form; defaults to the path's base name, else 'file'. */
  fileName?: string;
  /** Content type of the file part; inferred from the file name when absent. */
  contentType?: string;
}
export interface PostPresignedFormResult { status: number; bytes: number; md5: string; location?: string }

export interface PresignedPart { partNumber: number; url: string }
export interface UploadPresignedPartsOptions extends UploadCommonOptions {
  /** Size of every part but the last, in bytes. Required. */
  partSizeBytes: number;
  /** Headers sent with every part PUT. */
  headers?: Record<string, string>;
  /**
   * Called when part URLs expired mid-upload, with the part numbers not yet stored; resolve
   * fresh URLs for them and only those parts are sent again (at most 3 times per upload).
   * Without it, an expired URL fails with ERR_UPLIFT_URL_EXPIRED.
   */
  refreshUrls?: (partNumbers: number[]) => Promise<PresignedPart[]>;
}
export interface UploadPresignedPartsResult { parts: { partNumber: number; etag: string }[]; md5: string; bytes: number }

const UPLOAD_KEYS = [...COMMON_KEYS, 'retry', 'timeouts', 'spoolLimitBytes', 'streamBufferBytes', 'md5', 'proxy', 'noProxy', 'maxBytesPerSecond', 'controller'];

export interface CheckedCommon extends CommonOptions<Engine> {
  job: NativeJobOptions; spoolLimitBytes?: number; streamBufferBytes?: number; computeMd5: boolean;
  /** The call's own proxy / noProxy options as given (for the calls a flow makes itself). */
  proxyOptions?: { proxy?: string | false; noProxy?: string | string[] };
}

/** @internal Checks the common upload options (vendor clients use it too). */
export function checkUploadCommon(field: string, opts: unknown, extraKeys: readonly string[]): CheckedCommon {
  if (opts !== undefined && !isPlainObject(opts)) throw invalid(field, 'an options object', opts);
  const o = (opts ?? {}) as Record<string, unknown>;
  checkKnownKeys(field, o, [...UPLOAD_KEYS, ...extraKeys]);
  const common = checkCommon<Engine>(o, { field, isEngine });
  const job: NativeJobOptions = { retry: checkRetry(`${field}.retry`, o.retry), timeouts: checkTimeouts(`${field}.timeouts`, o.timeouts) };
  let proxyOptions: CheckedCommon['proxyOptions'];
  if (o.proxy !== undefined || o.noProxy !== undefined) {
    job.proxy = resolveProxy(field, o.proxy, o.noProxy);
    proxyOptions = {};
    if (o.proxy !== undefined) proxyOptions.proxy = o.proxy as string | false;
    if (o.noProxy !== undefined) proxyOptions.noProxy = o.noProxy as string | string[];
  }
  if (o.maxBytesPerSecond !== undefined) {
    const cap = checkBandwidth(`${field}.maxBytesPerSecond`, o.maxBytesPerSecond);
    if (cap !== null) job.maxBytesPerSecond = cap;
  }
  if (o.controller !== undefined) {
    if (!isUploadController(o.controller)) throw invalid(`${field}.controller`, 'an UploadController (new UploadController())', o.controller);
    job.control = o.controller.nativeControl();
  }
  const out: CheckedCommon = { ...common, job, computeMd5: o.md5 === undefined ? true : checkBoolean(`${field}.md5`, o.md5) };
  if (proxyOptions) out.proxyOptions = proxyOptions;
  if (o.spoolLimitBytes !== undefined) out.spoolLimitBytes = checkInteger(`${field}.spoolLimitBytes`, o.spoolLimitBytes, { min: 0 });
  if (o.streamBufferBytes !== undefined) out.streamBufferBytes = checkInteger(`${field}.streamBufferBytes`, o.streamBufferBytes, { min: 64 * 1024, max: 2 ** 40 });
  return out;
}

/** Headers the engine sets itself from the body; a caller's value would corrupt the framing. */
const FRAMING_HEADERS = ['content-length', 'transfer-encoding', 'expect', 'connection', 'host', 'te', 'upgrade'];

/** checkHeaders plus: framing headers are refused (the engine computes them). */
export function checkRequestHeaders(field: string, h: unknown): Record<string, string> {
  const out = checkHeaders(field, h);
  for (const name of Object.keys(out)) {
    if (FRAMING_HEADERS.includes(name.toLowerCase())) {
      throw new InvalidArgumentError(
        `${field}["${name}"] cannot be set: uplift computes ${name} from the body; remove it`,
        { field: `${field}["${name}"]`, received: name },
      );
    }
  }
  return out;
}

function headerPairs(h: Record<string, string> | undefined): [string, string][] {
  return h ? Object.entries(h) : [];
}

function hasHeader(h: Record<string, string> | undefined, name: string): boolean {
  return !!h && Object.keys(h).some((k) => k.toLowerCase() === name);
}

/**
 * @internal The size probe of URL sources given without `size`: one ranged GET by the engine,
 * with the call's retry, timeouts and proxy.
 */
export function urlProber(engine: Engine, common: CheckedCommon): (url: string, headers: [string, string][]) => Promise<UrlProbe> {
  return (url, headers) => {
    const spec: NativeProbeSpec = { url, headers };
    if (common.job.retry !== undefined) spec.retry = common.job.retry;
    if (common.job.timeouts !== undefined) spec.timeouts = common.job.timeouts;
    if (common.job.proxy !== undefined) spec.proxy = common.job.proxy;
    return runNative(() => engine.nativeEngine().probeUrl(spec), {
      signal: common.signal, site: new Error(), label: `GET ${url} (size of the source)`, operation: 'probeUrl', url,
    });
  };
}

/** Native error codes of a file that cannot be opened (missing, not a regular file, unreadable). */
const OPEN_FAILURES = new Set(['ERR_UPLIFT_FILE_NOT_FOUND', 'ERR_UPLIFT_NOT_A_FILE', 'ERR_UPLIFT_FILE_NOT_READABLE']);

/**
 * Runs `fn` with a file path the engine opens and checks itself (open + fstat, on this
 * thread, as for any path): no stat and access round trips through the thread pool before
 * it, which cost ~25% of the CPU of a 64 KiB form. When the engine cannot open the file, the
 * same checks as for other flows run then, so the error keeps its usual message and `path`.
 */
async function withPathSource<T>(file: string, site: Error, fn: (s: ResolvedSource) => Promise<T>): Promise<T> {
  try {
    return await fn({ native: { kind: 'path', path: file }, size: -1, name: path.basename(file), release: async () => {} });
  } catch (e) {
    if (e instanceof SourceError && OPEN_FAILURES.has(e.code)) {
      try {
        await statSource(file);
      } catch (checked) {
        throw withCallSite(checked, site);
      }
    }
    throw e;
  }
}

async function withSource<T>(source: unknown, common: CheckedCommon, fn: (s: ResolvedSource) => Promise<T>, site?: Error): Promise<T> {
  const checked = checkSource('source', source);
  // Flows that need no size in JS (a single PUT or form) hand a path straight to the engine.
  if (site && checked.kind === 'path') return withPathSource(checked.path, site, fn);
  const resolved = await resolveSource(checked, {
    spoolLimitBytes: common.spoolLimitBytes, signal: common.signal, streaming: true, streamBufferBytes: common.streamBufferBytes,
    probeUrl: urlProber(common.engine ?? getDefaultEngine(), common),
  });
  try {
    return await fn(resolved);
  } catch (e) {
    throw withStreamCause(e, [resolved]);
  } finally {
    await resolved.release();
  }
}

/** PUTs the source to a presigned URL. Resolves `{ status, etag, bytes, md5 }`. */
export async function putPresigned(url: string, source: Source, options: PutPresignedOptions = {}): Promise<PutPresignedResult> {
  const site = new Error();
  checkUrl('url', url);
  const common = checkUploadCommon('options', options, ['headers', 'contentType', 'method']);
  const headers = options.headers === undefined ? undefined : checkRequestHeaders('options.headers', options.headers);
  const method = options.method === undefined ? 'PUT' : checkString('options.method', options.method, { pattern: /^(PUT|POST)$/ });
  const explicitType = options.contentType === undefined ? undefined : checkContentType('options.contentType', options.contentType);
  const engine = common.engine ?? getDefaultEngine();
  return withSource(source, common, async (src) => {
    const pairs = headerPairs(headers);
    if (!hasHeader(headers, 'content-type')) {
      const type = explicitType ?? src.contentType ?? (src.name ? inferContentType(src.name) : undefined);
      pairs.push(['Content-Type', type ?? 'application/octet-stream']);
    }
    const r = await runNative(
      () => engine.nativeEngine().putPresigned({ url, method, headers: pairs, source: src.native, computeMd5: common.computeMd5, ...common.job }, safeProgress(common.onProgress)),
      { signal: common.signal, onProgress: common.onProgress, site, label: `${method} ${url}`, operation: 'putPresigned', url },
    );
    return { status: r.status, etag: r.etag, bytes: r.bytes, md5: r.md5 };
  }, site);
}

/** POSTs the source as the file of an S3-style presigned form; `fields` go first, in order. */
export async function postPresignedForm(
  url: string,
  fields: Record<string, string>,
  source: Source,
  options: PostPresignedFormOptions = {},
): Promise<PostPresignedFormResult> {
  const site = new Error();
  checkUrl('url', url);
  if (!isPlainObject(fields)) throw invalid('fields', 'an object of form fields (string values)', fields);
  const pairs: [string, string][] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v !== 'string') throw invalid(`fields.${k}`, 'a string', v);
    if (/[\r\n\0"]/.test(k)) throw invalid('fields', 'field names without CR, LF, NUL or quotes', k);
    pairs.push([k, v]);
  }
  const common = checkUploadCommon('options', options, ['fileField', 'fileName', 'contentType']);
  const fileField = options.fileField === undefined ? 'file' : checkString('options.fileField', options.fileField, { nonEmpty: true, pattern: /^[^\r\n\0"]+$/ });
  const fileNameOpt = options.fileName === undefined ? undefined : checkString('options.fileName', options.fileName, { nonEmpty: true, pattern: /^[^\r\n\0"]+$/ });
  const explicitType = options.contentType === undefined ? undefined : checkContentType('options.contentType', options.contentType);
  const engine = common.engine ?? getDefaultEngine();
  return withSource(source, common, async (src) => {
    const fileName = fileNameOpt ?? (src.name ? path.basename(src.name) : 'file');
    const fileContentType = explicitType ?? src.contentType ?? inferContentType(fileName) ?? 'application/octet-stream';
    const r = await runNative(
      () => engine.nativeEngine().postPresignedForm(
        { url, fields: pairs, fileField, fileName, fileContentType, source: src.native, computeMd5: common.computeMd5, ...common.job },
        safeProgress(common.onProgress),
      ),
      { signal: common.signal, onProgress: common.onProgress, site, label: `POST form ${url}`, operation: 'postPresignedForm', url },
    );
    const out: PostPresignedFormResult = { status: r.status, bytes: r.bytes, md5: r.md5 };
    if (r.location) out.location = r.location;
    return out;
  }, site);
}

/** @internal Checks a part list and lays the parts over a source of `size` bytes. */
export function layoutParts(parts: unknown, size: number, partSizeBytes: number): { partNumber: number; url: string; offset: number; length: number }[] {
  if (!Array.isArray(parts) || parts.length === 0) throw invalid('parts', 'a non-empty array of { partNumber, url }', parts);
  const checked = checkPartUrls(parts);
  checked.sort((a, b) => a.partNumber - b.partNumber);
  const needed = size === 0 ? 1 : Math.ceil(size / partSizeBytes);
  if (checked.length !== needed) {
    throw new InvalidArgumentError(
      `parts has ${checked.length} URL(s) but ${size} bytes in parts of ${partSizeBytes} bytes need ${needed}; ` +
        'ask for as many part URLs as parts, or change partSizeBytes',
      { field: 'parts', received: `${checked.length} parts` },
    );
  }
  return checked.map((p, i) => ({ ...p, offset: i * partSizeBytes, length: Math.min(partSizeBytes, size - i * partSizeBytes) }));
}

/** PUTs each part of the source to its presigned URL, `concurrency` at a time (default 4). */
export async function uploadPresignedParts(
  parts: PresignedPart[],
  source: Source,
  options: UploadPresignedPartsOptions,
): Promise<UploadPresignedPartsResult> {
  const site = new Error();
  if (!isPlainObject(options)) throw invalid('options', 'an options object with partSizeBytes', options);
  const common = checkUploadCommon('options', options, ['partSizeBytes', 'headers', 'refreshUrls']);
  const refreshUrls = options.refreshUrls === undefined ? undefined : checkFunction<NonNullable<UploadPresignedPartsOptions['refreshUrls']>>('options.refreshUrls', options.refreshUrls);
  const partSizeBytes = checkInteger('options.partSizeBytes', options.partSizeBytes, { min: 1 });
  const headers = options.headers === undefined ? undefined : checkRequestHeaders('options.headers', options.headers);
  if (!Array.isArray(parts) || parts.length === 0) throw invalid('parts', 'a non-empty array of { partNumber, url }', parts);
  const engine = common.engine ?? getDefaultEngine();
  return withSource(source, common, async (src) => {
    let todo = layoutParts(parts, src.size, partSizeBytes);
    const stored = new Map<number, string>();
    for (let refreshes = 0; ; refreshes++) {
      try {
        const r = await runNative(
          () => engine.nativeEngine().uploadPresignedParts(
            {
              parts: todo, source: src.native, headers: headerPairs(headers), concurrency: common.concurrency ?? 4, computeMd5: common.computeMd5, ...common.job,
              onPart: (n: number, etag: string) => stored.set(n, etag),
            },
            safeProgress(common.onProgress),
          ),
          { signal: common.signal, onProgress: common.onProgress, site, label: `PUT ${todo.length} parts, first ${todo[0]?.url}`, operation: 'uploadPresignedParts' },
        );
        for (const p of r.parts) stored.set(p.partNumber, p.etag);
        const all = [...stored].map(([partNumber, etag]) => ({ partNumber, etag })).sort((a, b) => a.partNumber - b.partNumber);
        return { parts: all, md5: r.md5, bytes: src.size };
      } catch (e) {
        if (!refreshUrls || refreshes >= 3 || !(e instanceof UpliftError) || e.code !== 'ERR_UPLIFT_URL_EXPIRED') throw e;
        const missing = todo.filter((p) => !stored.has(p.partNumber));
        const fresh = await refreshUrls(missing.map((p) => p.partNumber));
        const byNumber = new Map<number, string>();
        if (Array.isArray(fresh)) {
          for (const [i, p] of fresh.entries()) {
            if (!isPlainObject(p)) throw invalid(`refreshUrls()[${i}]`, 'an object { partNumber, url }', p);
            byNumber.set(checkInteger(`refreshUrls()[${i}].partNumber`, p.partNumber, { min: 1, max: 10000 }), checkUrl(`refreshUrls()[${i}].url`, p.url));
          }
        }
        const lacking = missing.filter((p) => !byNumber.has(p.partNumber)).map((p) => p.partNumber);
        if (lacking.length) throw invalid('refreshUrls()', `fresh URLs for parts ${missing.map((p) => p.partNumber).join(', ')}`, `none for parts ${lacking.join(', ')}`);
        todo = missing.map((p) => ({ ...p, url: byNumber.get(p.partNumber)! }));
      }
    }
  });
}
