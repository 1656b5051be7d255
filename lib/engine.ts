// The public Engine: a handle on the native engine (its own I/O threads, connection and TLS
// caches). One shared default engine serves calls that do not pass `engine`.
import { EngineClosedError, InvalidArgumentError } from './errors';
import { native, type NativeEngine, type NativeEngineOptions } from './native';
import { resolveProxy, shownProxy } from './proxy';
import { checkBoolean, checkInteger, checkKnownKeys, checkString, invalid, isPlainObject } from './validate';

export interface RetryOptions {
  /** Attempts per request, first one included. Default 4 (1..20). */
  maxAttempts?: number;
  /** First backoff delay in ms, doubled per retry with jitter. Default 200. */
  baseDelayMs?: number;
  /** Longest single wait in ms, Retry-After included. Default 20000. */
  maxDelayMs?: number;
  /**
   * Keep retrying retryable failures (network lost, 5xx, timeouts) past maxAttempts until
   * this many ms after the request first failed, e.g. 120000 so that a laptop that loses its
   * network for a minute carries on. Default 0 = maxAttempts only.
   */
  maxElapsedMs?: number;
}

export interface TimeoutOptions {
  /** TCP + TLS connect, ms. Default 10000. */
  connectMs?: number;
  /** No byte moved for this long (ms) fails the attempt (retryable). Default 30000; 0 = off. */
  stallMs?: number;
  /** Whole upload, all parts and retries (ms). Default 0 = no limit. */
  overallMs?: number;
  /**
   * From the end of a request's body to the end of its answer (ms): a peer that drips or
   * never ends its answer fails with ERR_UPLIFT_TIMEOUT (kind `response`, not retried).
   * Default 120000; 0 = off. (An answer body over 4 MiB fails ERR_UPLIFT_BAD_RESPONSE.)
   */
  responseMs?: number;
}

export interface EngineOptions {
  /** I/O threads. Default 2 (1..16). */
  threads?: number;
  /** Parallel connections per host and I/O thread. Default 8 (1..64). */
  maxConnectionsPerHost?: number;
  retry?: RetryOptions;
  timeouts?: TimeoutOptions;
  /** PEM bundle of extra trusted CAs (e.g. a private CA); verification stays on. */
  caFile?: string;
  /** Turns TLS certificate verification off. Never in production; prints a warning once. */
  insecureSkipTlsVerify?: boolean;
  /**
   * Proxy for every request: 'http://host:port', 'https://…', 'socks5://…' (user:password@
   * allowed; redacted everywhere), or false for none. Default: the environment
   * (https_proxy/HTTPS_PROXY for https:// URLs, http_proxy/HTTP_PROXY for http:// ones).
   */
  proxy?: string | false;
  /** Hosts reached directly: 'localhost,.internal.example' or an array. Default: NO_PROXY. */
  noProxy?: string | string[];
  /** Cap for all uploads of this engine together, in bytes per second (change it with setBandwidth). */
  maxBytesPerSecond?: number | null;
}

const ENGINE_KEYS = ['threads', 'maxConnectionsPerHost', 'retry', 'timeouts', 'caFile', 'insecureSkipTlsVerify', 'proxy', 'noProxy', 'maxBytesPerSecond'];

/** Smallest bandwidth cap accepted (bytes per second). */
export const MIN_BYTES_PER_SECOND = 1024;

/** A bandwidth cap: an integer >= 1024 bytes per second, or null (no cap). */
export function checkBandwidth(field: string, v: unknown): number | null {
  if (v === null) return null;
  return checkInteger(field, v, { min: MIN_BYTES_PER_SECOND, max: Number.MAX_SAFE_INTEGER });
}
let warnedInsecure = false;

export function checkRetry(field: string, v: unknown): RetryOptions | undefined {
  if (v === undefined) return undefined;
  if (!isPlainObject(v)) throw invalid(field, 'an object { maxAttempts?, baseDelayMs?, maxDelayMs?, maxElapsedMs? }', v);
  checkKnownKeys(field, v, ['maxAttempts', 'baseDelayMs', 'maxDelayMs', 'maxElapsedMs']);
  const out: RetryOptions = {};
  if (v.maxAttempts !== undefined) out.maxAttempts = checkInteger(`${field}.maxAttempts`, v.maxAttempts, { min: 1, max: 20 });
  if (v.baseDelayMs !== undefined) out.baseDelayMs = checkInteger(`${field}.baseDelayMs`, v.baseDelayMs, { min: 0, max: 600000 });
  if (v.maxDelayMs !== undefined) out.maxDelayMs = checkInteger(`${field}.maxDelayMs`, v.maxDelayMs, { min: 0, max: 600000 });
  if (v.maxElapsedMs !== undefined) out.maxElapsedMs = checkInteger(`${field}.maxElapsedMs`, v.maxElapsedMs, { min: 0, max: 2 ** 31 - 1 });
  return out;
}

export function checkTimeouts(field: string, v: unknown): TimeoutOptions | undefined {
  if (v === undefined) return undefined;
  if (!isPlainObject(v)) throw invalid(field, 'an object { connectMs?, stallMs?, overallMs?, responseMs? }', v);
  checkKnownKeys(field, v, ['connectMs', 'stallMs', 'overallMs', 'responseMs']);
  const out: TimeoutOptions = {};
  if (v.connectMs !== undefined) out.connectMs = checkInteger(`${field}.connectMs`, v.connectMs, { min: 1, max: 3600000 });
  if (v.stallMs !== undefined) out.stallMs = checkInteger(`${field}.stallMs`, v.stallMs, { min: 0, max: 3600000 });
  if (v.overallMs !== undefined) out.overallMs = checkInteger(`${field}.overallMs`, v.overallMs, { min: 0, max: 2 ** 31 - 1 });
  if (v.responseMs !== undefined) out.responseMs = checkInteger(`${field}.responseMs`, v.responseMs, { min: 0, max: 2 ** 31 - 1 });
  return out;
}

export class Engine {
  #native: NativeEngine | undefined;
  readonly options: Readonly<EngineOptions>;

  constructor(options: EngineOptions = {}) {
    if (!isPlainObject(options)) throw invalid('options', 'an EngineOptions object', options);
    checkKnownKeys('options', options, ENGINE_KEYS);
    const o: NativeEngineOptions = {};
    if (options.threads !== undefined) o.threads = checkInteger('options.threads', options.threads, { min: 1, max: 16 });
    if (options.maxConnectionsPerHost !== undefined) {
      o.maxConnectionsPerHost = checkInteger('options.maxConnectionsPerHost', options.maxConnectionsPerHost, { min: 1, max: 64 });
    }
    o.retry = checkRetry('options.retry', options.retry);
    o.timeouts = checkTimeouts('options.timeouts', options.timeouts);
    if (options.caFile !== undefined) o.caFile = checkString('options.caFile', options.caFile, { nonEmpty: true });
    if (options.insecureSkipTlsVerify !== undefined) {
      o.insecureSkipTlsVerify = checkBoolean('options.insecureSkipTlsVerify', options.insecureSkipTlsVerify);
      if (o.insecureSkipTlsVerify && !warnedInsecure) {
        warnedInsecure = true;
        process.emitWarning('uplift: insecureSkipTlsVerify is on; TLS certificates are not checked', { code: 'UPLIFT_INSECURE_TLS' });
      }
    }
    o.proxy = resolveProxy('options', options.proxy, options.noProxy);
    if (options.maxBytesPerSecond !== undefined) o.maxBytesPerSecond = checkBandwidth('options.maxBytesPerSecond', options.maxBytesPerSecond) ?? 0;
    const shown: EngineOptions = { ...options };
    if (typeof options.proxy === 'string') shown.proxy = shownProxy(options.proxy);
    this.options = Object.freeze(shown);
    this.#native = new (native().Engine)(o);
  }

  /**
   * Changes the cap on all uploads of this engine together, at once, also for uploads
   * already running: bytes per second (>= 1024), or null for no cap.
   */
  setBandwidth(bytesPerSecond: number | null): void {
    const n = checkBandwidth('bytesPerSecond', bytesPerSecond);
    this.nativeEngine().setBandwidth(n ?? 0);
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#native === undefined;
  }

  /** Takes no new work and rejects what is still running with ERR_UPLIFT_ENGINE_CLOSED. */
  async close(): Promise<void> {
    const n = this.#native;
    this.#native = undefined;
    if (n) n.close();
    if (this === defaultEngine) defaultEngine = undefined;
  }

  /** @internal The native engine; throws EngineClosedError once closed. */
  nativeEngine(): NativeEngine {
    if (!this.#native) throw new EngineClosedError('this Engine was closed; create a new Engine');
    return this.#native;
  }
}

let defaultEngine: Engine | undefined;

/** The shared engine used when a call passes no `engine` (created on first use). */
export function getDefaultEngine(): Engine {
  if (!defaultEngine || defaultEngine.closed) defaultEngine = new Engine();
  return defaultEngine;
}

export function isEngine(v: unknown): v is Engine {
  return v instanceof Engine;
}

export { InvalidArgumentError };
