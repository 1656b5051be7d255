/** Unit tests of lib/abort.ts: pre-checks, one-shot listeners that are always removed, raceAbort. */

import { abortError, type AbortSignalLike, onAbort, raceAbort, throwIfAborted } from '../../lib/abort';
import { AbortError, UpliftError } from '../../lib/errors';

/** A signal-like that counts its listeners, to prove removal. */
class CountingSignal implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  listeners = new Set<() => void>();
  addEventListener(_type: 'abort', l: () => void): void {
    this.listeners.add(l);
  }
  removeEventListener(_type: 'abort', l: () => void): void {
    this.listeners.delete(l);
  }
  /** Fires without honouring `once`, like a naive EventTarget. */
  abort(reason: unknown): void {
    this.aborted = true;
    this.reason = reason;
    for (const l of [...this.listeners]) l();
    for (const l of [...this.listeners]) l();
  }
}

describe('throwIfAborted / abortError', () => {
  test('does nothing for a live signal or none', () => {
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow();
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(null)).not.toThrow();
  });

  test('throws AbortError with cause = signal.reason', () => {
    const ac = new AbortController();
    const reason = new Error('user pressed cancel');
    ac.abort(reason);
    let caught: unknown;
    try {
      throwIfAborted(ac.signal);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AbortError);
    expect(caught).toBeInstanceOf(UpliftError);
    expect((caught as AbortError).name).toBe('AbortError');
    expect((caught as AbortError).code).toBe('ERR_UPLIFT_ABORTED');
    expect((caught as AbortError).cause).toBe(reason);
  });

  test('rejects inside an async function; default reason is the DOMException', async () => {
    const ac = new AbortController();
    ac.abort();
    const run = async (): Promise<void> => throwIfAborted(ac.signal);
    await expect(run()).rejects.toMatchObject({ name: 'AbortError', cause: ac.signal.reason });
    expect(abortError(ac.signal).cause).toBe(ac.signal.reason);
    expect(abortError(undefined).cause).toBeUndefined();
  });
});

describe('onAbort', () => {
  test('calls fn once with the reason and removes its listener', () => {
    const s = new CountingSignal();
    const fn = jest.fn();
    const dispose = onAbort(s, fn);
    expect(s.listeners.size).toBe(1);
    s.abort('why');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith('why');
    expect(s.listeners.size).toBe(0);
    dispose();
    expect(fn).toHaveBeenCalledTimes(1);
  });

  test('the disposer removes the listener and fn never runs afterwards', () => {
    const s = new CountingSignal();
    const fn = jest.fn();
    const dispose = onAbort(s, fn);
    dispose();
    dispose();
    expect(s.listeners.size).toBe(0);
    s.abort('late');
    expect(fn).not.toHaveBeenCalled();
  });

  test('with a real AbortController', () => {
    const ac = new AbortController();
    const fn = jest.fn();
    onAbort(ac.signal, fn);
    ac.abort('r');
    ac.abort('again');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith('r');
  });

  test('already aborted: fn runs synchronously, nothing is registered', () => {
    const s = new CountingSignal();
    s.abort('early');
    const fn = jest.fn();
    const dispose = onAbort(s, fn);
    expect(fn).toHaveBeenCalledWith('early');
    expect(s.listeners.size).toBe(0);
    dispose();
  });

  test('no signal: a no-op disposer', () => {
    const fn = jest.fn();
    onAbort(undefined, fn)();
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('raceAbort', () => {
  test('settles like the promise and removes the listener', async () => {
    const s = new CountingSignal();
    await expect(raceAbort(Promise.resolve(5), s)).resolves.toBe(5);
    expect(s.listeners.size).toBe(0);
    await expect(raceAbort(Promise.reject(new Error('x')), s)).rejects.toThrow('x');
    expect(s.listeners.size).toBe(0);
    await expect(raceAbort(Promise.resolve(1))).resolves.toBe(1);
  });

  test('rejects with AbortError when the signal fires first', async () => {
    const s = new CountingSignal();
    let resolveLater!: (v: number) => void;
    const slow = new Promise<number>((r) => (resolveLater = r));
    const raced = raceAbort(slow, s);
    s.abort('stop');
    await expect(raced).rejects.toMatchObject({ name: 'AbortError', cause: 'stop' });
    expect(s.listeners.size).toBe(0);
    resolveLater(1);
  });

  test('already aborted: rejects at once and swallows the inner rejection', async () => {
    const ac = new AbortController();
    ac.abort('pre');
    await expect(raceAbort(Promise.reject(new Error('inner')), ac.signal)).rejects.toBeInstanceOf(AbortError);
  });
});
