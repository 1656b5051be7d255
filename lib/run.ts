// Runs one native operation with the common options: abort, progress, error mapping and
// the caller's stack.
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
  const handle = start();
  const onAbort = (): void => handle.cancel('the upload was aborted');
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await handle.promise;
  } catch (err) {
    throw toUpliftError(err, ctx);
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}
