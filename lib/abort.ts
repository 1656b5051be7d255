/**
 * AbortSignal helpers: check before starting, listen once, always remove the listener,
 * reject with an AbortError whose `cause` is `signal.reason`.
 */

import { AbortError } from './errors';

/** The part of AbortSignal these helpers use (any EventTarget-style signal works). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** AbortError for `signal`, its cause set to `signal.reason`. */
export function abortError(signal?: AbortSignalLike | null): AbortError {
  return new AbortError(signal?.reason);
}

/** Throws (inside an async function: rejects with) an AbortError when `signal` has fired. */
export function throwIfAborted(signal?: AbortSignalLike | null): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * Calls `fn(reason)` at most once when `signal` fires. Returns a disposer that removes the
 * listener (idempotent; call it when the operation settles). When `signal` has already fired,
 * `fn` runs synchronously before `onAbort` returns and the disposer does nothing. Without a
 * signal, nothing is registered.
 */
export function onAbort(signal: AbortSignalLike | null | undefined, fn: (reason: unknown) => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    fn(signal.reason);
    return () => {};
  }
  let active = true;
  const listener = (): void => {
    if (!active) return;
    active = false;
    signal.removeEventListener('abort', listener);
    fn(signal.reason);
  };
  signal.addEventListener('abort', listener, { once: true });
  return () => {
    if (!active) return;
    active = false;
    signal.removeEventListener('abort', listener);
  };
}

/**
 * Settles like `promise`, or rejects with an AbortError as soon as `signal` fires (the
 * listener is removed either way). `promise` itself is not cancelled: stop its work in an
 * `onAbort` handler.
 */
export function raceAbort<T>(promise: Promise<T>, signal?: AbortSignalLike | null): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const dispose = onAbort(signal, () => {
      promise.catch(() => {});
      reject(abortError(signal));
    });
    promise.then(
      (v) => {
        dispose();
        resolve(v);
      },
      (e: unknown) => {
        dispose();
        reject(e);
      },
    );
  });
}
