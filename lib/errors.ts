/**
 * Error classes of uplift. Every rejection is an `UpliftError` (or a subclass) with a stable
 * `code` from `codes`. The message and every string field (requestId, vendorCode, body,
 * field, received, path, ...) are redacted at construction, so `util.inspect(err)` shows no
 * secret even when a peer echoed one (e.g. in `x-request-id`); `toJSON()` redacts again.
 *
 * Hierarchy: every class extends `UpliftError` directly (flat), so `instanceof` tells the
 * class and `code` tells the case; `SourceError` alone carries several codes.
 */

import { DEFAULT_RETRYABLE, codes } from './error-codes';
import { redact, redactValue } from './redact';

/** Every error code with a one-line description (generated from src/core/errors.json). */
export { codes };

export type UpliftErrorCode = keyof typeof codes;

/**
 * The `retryable` of an error of `code` built without one, by the rule of src/core/errors.json
 * (a constant, or by HTTP status or timeout kind).
 */
export function defaultRetryable(code: UpliftErrorCode, at: { status?: number; kind?: string } = {}): boolean {
  const rule = DEFAULT_RETRYABLE[code];
  if (typeof rule === 'boolean') return rule;
  if (rule.kinds !== undefined) return at.kind !== undefined && rule.kinds.includes(at.kind);
  const s = at.status;
  if (s === undefined) return false;
  return (rule.statuses?.includes(s) ?? false) || (rule.fromStatus !== undefined && s >= rule.fromStatus);
}

/** Fields every error may carry. */
export interface UpliftErrorOptions {
  vendor?: string;
  /** HTTP status of the answer that caused the error. */
  status?: number;
  /** Default depends on the class (see each class). */
  retryable?: boolean;
  cause?: unknown;
  requestId?: string;
  /** The vendor's own error code, e.g. Scripe `key_revoked`, S3 `SignatureDoesNotMatch`. */
  vendorCode?: string;
  /** Extra context; redacted (secret-named fields dropped) at construction. */
  details?: Record<string, unknown>;
}

function setName(cls: { prototype: object }, name: string): void {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
}

function summariseCause(cause: unknown): unknown {
  if (cause instanceof Error) {
    const out: Record<string, unknown> = { name: cause.name, message: redact(cause.message) };
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') out.code = code;
    return out;
  }
  return redactValue(cause, undefined, 3);
}

/** Base class; `code` always starts with `ERR_UPLIFT_`. */
export class UpliftError extends Error {
  code: string;
  retryable: boolean;
  declare vendor?: string;
  declare status?: number;
  declare requestId?: string;
  declare vendorCode?: string;
  declare details?: Record<string, unknown>;
  declare cause?: unknown;

  constructor(message: string, options: UpliftErrorOptions & { code?: UpliftErrorCode } = {}) {
    super(redact(String(message)), options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = options.code ?? 'ERR_UPLIFT_INTERNAL';
    this.retryable = options.retryable ?? false;
    if (options.vendor !== undefined) this.vendor = redact(options.vendor);
    if (options.status !== undefined) this.status = options.status;
    if (options.requestId !== undefined) this.requestId = redact(options.requestId);
    if (options.vendorCode !== undefined) this.vendorCode = redact(options.vendorCode);
    if (options.details !== undefined) this.details = redactValue(options.details) as Record<string, unknown>;
  }

  /** Plain object for logs and JSON: every field except the stack, redacted again; cause summarised. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: redact(this.message) };
    for (const [k, v] of Object.entries(this)) {
      if (k === 'stack' || k === 'cause' || k === 'message' || v === undefined) continue;
      out[k] = redactValue(v);
    }
    if (this.cause !== undefined) out.cause = summariseCause(this.cause);
    return out;
  }
}
setName(UpliftError, 'UpliftError');

// Subclasses fix `code`; `retryable` has a per-class default that options may override,
// except for invalid arguments, source errors and aborts (never retryable).
type Opts = UpliftErrorOptions;

export class InvalidArgumentError extends UpliftError {
  /** Option path, e.g. `options.concurrency`. */
  field: string;
  /** Safe description of what was received (never the secret itself). */
  received: string;
  constructor(message: string, options: Opts & { field: string; received?: string }) {
    super(message, { ...options, code: 'ERR_UPLIFT_INVALID_ARGUMENT', retryable: false });
    this.field = redact(options.field);
    this.received = redact(options.received ?? '');
  }
}
setName(InvalidArgumentError, 'InvalidArgumentError');

export type SourceErrorCode =
  | 'ERR_UPLIFT_FILE_NOT_FOUND'
  | 'ERR_UPLIFT_NOT_A_FILE'
  | 'ERR_UPLIFT_FILE_NOT_READABLE'
  | 'ERR_UPLIFT_SOURCE_CHANGED'
  | 'ERR_UPLIFT_SIZE_MISMATCH';

const SOURCE_CODES: ReadonlySet<string> = new Set<SourceErrorCode>([
  'ERR_UPLIFT_FILE_NOT_FOUND',
  'ERR_UPLIFT_NOT_A_FILE',
  'ERR_UPLIFT_FILE_NOT_READABLE',
  'ERR_UPLIFT_SOURCE_CHANGED',
  'ERR_UPLIFT_SIZE_MISMATCH',
]);

/** A problem with the source (file or stream); never retryable. */
export class SourceError extends UpliftError {
  declare code: SourceErrorCode;
  declare path?: string;
  constructor(code: SourceErrorCode, message: string, options: Opts & { path?: string } = {}) {
    if (!SOURCE_CODES.has(code)) throw new TypeError(`SourceError: unknown code ${String(code)}`);
    super(message, { ...options, code, retryable: false });
    if (options.path !== undefined) this.path = redact(options.path);
  }
}
setName(SourceError, 'SourceError');

/** Longest body snippet kept on an HttpError, in characters. */
export const BODY_SNIPPET_CHARS = 300;

/**
 * Unexpected HTTP status from a presigned URL or other endpoint. `vendorCode` holds the S3
 * `<Code>`. Retryable by default for 408, 429 and 5xx.
 */
export class HttpError extends UpliftError {
  declare status: number;
  /** Start of the answer body (at most BODY_SNIPPET_CHARS), redacted. */
  declare body?: string;
  constructor(message: string, options: Opts & { status: number; body?: string }) {
    const s = options.status;
    super(message, { ...options, code: 'ERR_UPLIFT_HTTP', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_HTTP', { status: s }) });
    if (options.body !== undefined) this.body = redact(options.body).slice(0, BODY_SNIPPET_CHARS);
  }
}
setName(HttpError, 'HttpError');

/** Connection-level failure; retryable by default. */
export class NetworkError extends UpliftError {
  /** libcurl CURLcode (0 when unknown). */
  curlCode: number;
  constructor(message: string, options: Opts & { curlCode?: number } = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_NETWORK', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_NETWORK') });
    this.curlCode = options.curlCode ?? 0;
  }
}
setName(NetworkError, 'NetworkError');

/** The proxy refused (407 and other CONNECT answers) or failed (unreachable, reset); see status. */
export class ProxyError extends UpliftError {
  /** libcurl CURLcode (0 when unknown). */
  curlCode: number;
  constructor(message: string, options: Opts & { curlCode?: number } = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_PROXY', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_PROXY') });
    this.curlCode = options.curlCode ?? 0;
  }
}
setName(ProxyError, 'ProxyError');

/** Certificate / hostname verification or handshake failure; not retryable by default. */
export class TlsError extends UpliftError {
  /** libcurl CURLcode (0 when unknown). */
  curlCode: number;
  constructor(message: string, options: Opts & { curlCode?: number } = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_TLS', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_TLS') });
    this.curlCode = options.curlCode ?? 0;
  }
}
setName(TlsError, 'TlsError');

export type TimeoutKind = 'connect' | 'stall' | 'overall' | 'response';

/**
 * A timeout elapsed; `connect` and `stall` are retryable by default, `overall` and
 * `response` (the answer did not end within timeouts.responseMs) are not.
 */
export class TimeoutError extends UpliftError {
  kind: TimeoutKind;
  /** The limit that elapsed, in milliseconds, when known. */
  declare timeoutMs?: number;
  constructor(message: string, options: Opts & { kind: TimeoutKind; timeoutMs?: number }) {
    super(message, { ...options, code: 'ERR_UPLIFT_TIMEOUT', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_TIMEOUT', { kind: options.kind }) });
    this.kind = options.kind;
    if (options.timeoutMs !== undefined) this.timeoutMs = options.timeoutMs;
  }
}
setName(TimeoutError, 'TimeoutError');

/** The caller's AbortSignal fired. `name === 'AbortError'`; `cause` is `signal.reason`. */
export class AbortError extends UpliftError {
  constructor(reason?: unknown, message = 'The operation was aborted', options: Opts = {}) {
    super(message, { ...options, cause: reason, code: 'ERR_UPLIFT_ABORTED', retryable: false });
  }
}
setName(AbortError, 'AbortError');

/** The presigned URL / POST policy expired; presign again. */
export class UrlExpiredError extends UpliftError {
  constructor(message: string, options: Opts = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_URL_EXPIRED', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_URL_EXPIRED') });
  }
}
setName(UrlExpiredError, 'UrlExpiredError');

/** The vendor API rejected a call; retryable by default only for 5xx. */
export class VendorError extends UpliftError {
  constructor(message: string, options: Opts & { vendor: string }) {
    const s = options.status;
    super(message, { ...options, code: 'ERR_UPLIFT_VENDOR', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_VENDOR', { status: s }) });
  }
}
setName(VendorError, 'VendorError');

/** The vendor rejected the credentials. */
export class AuthError extends UpliftError {
  constructor(message: string, options: Opts = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_AUTH', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_AUTH') });
  }
}
setName(AuthError, 'AuthError');

/** The vendor throttled the call (429); retryable. */
export class RateLimitError extends UpliftError {
  /** From `Retry-After`, in milliseconds, when the vendor sent it. */
  declare retryAfterMs?: number;
  constructor(message: string, options: Opts & { retryAfterMs?: number } = {}) {
    super(message, { status: 429, ...options, code: 'ERR_UPLIFT_RATE_LIMITED', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_RATE_LIMITED') });
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}
setName(RateLimitError, 'RateLimitError');

/** Malformed vendor JSON or missing fields. */
export class BadResponseError extends UpliftError {
  constructor(message: string, options: Opts = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_BAD_RESPONSE', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_BAD_RESPONSE') });
  }
}
setName(BadResponseError, 'BadResponseError');

export class TooLargeError extends UpliftError {
  /** Size of the source in bytes, and the limit in bytes, when known. */
  declare sizeBytes?: number;
  declare maxSizeBytes?: number;
  constructor(message: string, options: Opts & { sizeBytes?: number; maxSizeBytes?: number } = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_TOO_LARGE', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_TOO_LARGE') });
    if (options.sizeBytes !== undefined) this.sizeBytes = options.sizeBytes;
    if (options.maxSizeBytes !== undefined) this.maxSizeBytes = options.maxSizeBytes;
  }
}
setName(TooLargeError, 'TooLargeError');

export class UnsupportedTypeError extends UpliftError {
  declare contentType?: string;
  constructor(message: string, options: Opts & { contentType?: string } = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_UNSUPPORTED_TYPE', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_UNSUPPORTED_TYPE') });
    if (options.contentType !== undefined) this.contentType = redact(options.contentType);
  }
}
setName(UnsupportedTypeError, 'UnsupportedTypeError');

export class RegionUnavailableError extends UpliftError {
  declare region?: string;
  constructor(message: string, options: Opts & { region?: string } = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_REGION_UNAVAILABLE', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_REGION_UNAVAILABLE') });
    if (options.region !== undefined) this.region = redact(options.region);
  }
}
setName(RegionUnavailableError, 'RegionUnavailableError');

/** ETag / MD5 mismatch. */
export class IntegrityError extends UpliftError {
  declare expected?: string;
  declare actual?: string;
  constructor(message: string, options: Opts & { expected?: string; actual?: string } = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_INTEGRITY', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_INTEGRITY') });
    if (options.expected !== undefined) this.expected = redact(options.expected);
    if (options.actual !== undefined) this.actual = redact(options.actual);
  }
}
setName(IntegrityError, 'IntegrityError');

export class EngineClosedError extends UpliftError {
  constructor(message = 'The engine is closed', options: Opts = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_ENGINE_CLOSED', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_ENGINE_CLOSED') });
  }
}
setName(EngineClosedError, 'EngineClosedError');

export class InternalError extends UpliftError {
  constructor(message: string, options: Opts = {}) {
    super(message, { ...options, code: 'ERR_UPLIFT_INTERNAL', retryable: options.retryable ?? defaultRetryable('ERR_UPLIFT_INTERNAL') });
  }
}
setName(InternalError, 'InternalError');

/** True for any uplift error; optionally of one code. */
export function isUpliftError(err: unknown, code?: UpliftErrorCode): err is UpliftError {
  return err instanceof UpliftError && (code === undefined || err.code === code);
}

/**
 * Gives `err` the stack of `site` (an `Error` created at the user's call into the public
 * API), keeping `err`'s name and message: failures then point at the caller's line instead
 * of into the engine. Returns `err`. Non-errors and sites without a stack are left as is.
 */
export function withCallSite<E>(err: E, site: { stack?: string } | undefined): E {
  if (!(err instanceof Error) || site === undefined || typeof site.stack !== 'string') return err;
  const lines = site.stack.split('\n');
  const first = lines.findIndex((l) => /^\s+at /.test(l));
  const frames = first === -1 ? '' : '\n' + lines.slice(first).join('\n');
  Object.defineProperty(err, 'stack', {
    value: `${err.name}: ${err.message}${frames}`,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return err;
}
