// Maps the engine's error values to the public error classes, once, in one place.
import {
  AbortError, AuthError, BadResponseError, EngineClosedError, HttpError, IntegrityError, InternalError, InvalidArgumentError,
  NetworkError, ProxyError, RateLimitError, SourceError, TimeoutError, TlsError, TooLargeError, UnsupportedTypeError, UpliftError,
  UrlExpiredError, VendorError,
} from './errors';
import type { NativeError } from './native';

export function isNativeError(v: unknown): v is NativeError {
  return typeof v === 'object' && v !== null && typeof (v as NativeError).code === 'string' &&
    typeof (v as NativeError).message === 'string' && !(v instanceof Error);
}

/** `vendor` is set on the error when the failing call belongs to a vendor flow. */
export function fromNative(e: NativeError, ctx: { vendor?: string; signalReason?: unknown } = {}): UpliftError {
  const common = {
    vendor: ctx.vendor, status: e.status, requestId: e.requestId, vendorCode: e.vendorCode,
    details: { ...(e.attempts ? { attempts: e.attempts } : {}), ...(e.partNumber ? { partNumber: e.partNumber } : {}), ...(e.curlCode ? { curlCode: e.curlCode } : {}) },
  };
  const msg = e.message;
  switch (e.code) {
    case 'ERR_UPLIFT_HTTP':
      return new HttpError(msg, { ...common, status: e.status ?? 0, retryable: e.retryable });
    case 'ERR_UPLIFT_RATE_LIMITED':
      return new RateLimitError(msg, { ...common, retryAfterMs: e.retryAfterMs });
    case 'ERR_UPLIFT_URL_EXPIRED':
      return new UrlExpiredError(msg, common);
    case 'ERR_UPLIFT_NETWORK':
      return new NetworkError(msg, { ...common, curlCode: e.curlCode, retryable: e.retryable });
    case 'ERR_UPLIFT_PROXY':
      return new ProxyError(msg, { ...common, curlCode: e.curlCode, retryable: e.retryable });
    case 'ERR_UPLIFT_TLS':
      return new TlsError(msg, { ...common, curlCode: e.curlCode });
    case 'ERR_UPLIFT_TIMEOUT':
      return new TimeoutError(msg, { ...common, kind: e.timeoutKind ?? 'overall' });
    case 'ERR_UPLIFT_ABORTED':
      return new AbortError(ctx.signalReason, msg, { vendor: ctx.vendor });
    case 'ERR_UPLIFT_ENGINE_CLOSED':
      return new EngineClosedError(msg, common);
    case 'ERR_UPLIFT_VENDOR':
      return new VendorError(msg, { ...common, vendor: ctx.vendor ?? 'unknown', retryable: e.retryable });
    case 'ERR_UPLIFT_AUTH':
      return new AuthError(msg, common);
    case 'ERR_UPLIFT_TOO_LARGE':
      return new TooLargeError(msg, common);
    case 'ERR_UPLIFT_UNSUPPORTED_TYPE':
      return new UnsupportedTypeError(msg, common);
    case 'ERR_UPLIFT_BAD_RESPONSE':
      return new BadResponseError(msg, common);
    case 'ERR_UPLIFT_INTEGRITY':
      return new IntegrityError(msg, common);
    case 'ERR_UPLIFT_INVALID_ARGUMENT':
      return new InvalidArgumentError(msg, { field: e.field ?? 'url' });
    case 'ERR_UPLIFT_FILE_NOT_FOUND':
    case 'ERR_UPLIFT_NOT_A_FILE':
    case 'ERR_UPLIFT_FILE_NOT_READABLE':
    case 'ERR_UPLIFT_SOURCE_CHANGED':
    case 'ERR_UPLIFT_SIZE_MISMATCH':
      return new SourceError(e.code, msg, common);
    default:
      return new InternalError(msg, common);
  }
}
