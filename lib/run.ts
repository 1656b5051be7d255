// Runs one native operation with the common options: abort, progress, error mapping and
// the caller's stack.
import { debug, debugEnabled } from './debug';
import { startTrace } from './diagnostics';
import { AbortError, UpliftError, withCallSite } from './errors';
import type { NativeHandle, NativeProgress } from './native';
import { fromNative, isNativeError } from './native-errors';
import type { Progress } from './validate';

export interface RunContext {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  vendor?: string;
  /** An Error created at the public entry point, whose stack the failure takes. */
  site?: Error;
  /** What runs, for the debug log (redacted before printing), e.g. `PUT https://host/key`. */
  label?: string;
  /** Operation name for instrumentation ('putPresigned', 'plaud.uploadFile', ...). */
  operation?: string;
  /** Target URL for instrumentation (redacted before publishing). */
  url?: string;
}

/** Wraps a user's progress listener so that a throwing listener cannot break an upload. */
export function safeProgress(fn?: (p: Progress) => void): ((p: NativeProgress) => void) | undefined {
  if (!fn) return undefined;
  return (p) => {
    try {
      fn({ bytesSent: p.bytesSent, totalBytes: p.totalBytes, partsDone: p.partsDone, partsTotal: p.partsTotal });
    } catch {
      /* a listener's own error is not the upload's */
    }
  };
}

export function toUpliftError(err: unknown, ctx: RunContext): UpliftError | unknown {
  let out: unknown = err;
  if (isNativeError(err)) out = fromNative(err, { vendor: ctx.vendor, signalReason: ctx.signal?.reason });
  if (ctx.signal?.aborted && !(out instanceof AbortError)) out = new AbortError(ctx.signal.reason, undefined, { vendor: ctx.vendor });
  return ctx.site ? withCallSite(out, ctx.site) : out;
}

export async function runNative<T>(start: () => NativeHandle<T>, ctx: RunContext): Promise<T> {
  if (ctx.signal?.aborted) throw toUpliftError(new AbortError(ctx.signal.reason), ctx);
  const label = ctx.label ?? 'upload';
  const t0 = debugEnabled() ? process.hrtime.bigint() : 0n;
  debug(`start ${label}`);
  const trace = startTrace(ctx.operation, ctx.vendor, ctx.url);
  let handle: NativeHandle<T>;
  try {
    handle = start();
  } catch (err) {
    trace.error(err);
    throw err;
  }
  trace.attach(handle as NativeHandle<unknown>);
  const onAbort = (): void => handle.cancel('the upload was aborted');
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const out = await handle.promise;
    if (debugEnabled()) debug(`done in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms ${label}`);
    trace.end();
    return out;
  } catch (err) {
    const mapped = toUpliftError(err, ctx);
    trace.error(mapped);
    if (debugEnabled()) {
      const e = mapped as { code?: string; message?: string };
      debug(`failed after ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms ${label} (${e.code ?? 'error'}: ${e.message ?? String(mapped)})`);
    }
    throw mapped;
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}
