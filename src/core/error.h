// Errors as values: every engine operation ends with either a result or an Error.
// Nothing throws across the engine's API; codes are the TypeScript layer's ERR_UPLIFT_* codes.
#pragma once

#include <string>

namespace uplift {

namespace codes {
inline constexpr const char* kInvalidArgument = "ERR_UPLIFT_INVALID_ARGUMENT";
inline constexpr const char* kFileNotFound = "ERR_UPLIFT_FILE_NOT_FOUND";
inline constexpr const char* kNotAFile = "ERR_UPLIFT_NOT_A_FILE";
inline constexpr const char* kFileNotReadable = "ERR_UPLIFT_FILE_NOT_READABLE";
inline constexpr const char* kSourceChanged = "ERR_UPLIFT_SOURCE_CHANGED";
inline constexpr const char* kSizeMismatch = "ERR_UPLIFT_SIZE_MISMATCH";
inline constexpr const char* kHttp = "ERR_UPLIFT_HTTP";
inline constexpr const char* kNetwork = "ERR_UPLIFT_NETWORK";
inline constexpr const char* kTls = "ERR_UPLIFT_TLS";
inline constexpr const char* kTimeout = "ERR_UPLIFT_TIMEOUT";
inline constexpr const char* kAborted = "ERR_UPLIFT_ABORTED";
inline constexpr const char* kUrlExpired = "ERR_UPLIFT_URL_EXPIRED";
inline constexpr const char* kVendor = "ERR_UPLIFT_VENDOR";
inline constexpr const char* kAuth = "ERR_UPLIFT_AUTH";
inline constexpr const char* kRateLimited = "ERR_UPLIFT_RATE_LIMITED";
inline constexpr const char* kBadResponse = "ERR_UPLIFT_BAD_RESPONSE";
inline constexpr const char* kIntegrity = "ERR_UPLIFT_INTEGRITY";
inline constexpr const char* kTooLarge = "ERR_UPLIFT_TOO_LARGE";
inline constexpr const char* kEngineClosed = "ERR_UPLIFT_ENGINE_CLOSED";
inline constexpr const char* kProxy = "ERR_UPLIFT_PROXY";
inline constexpr const char* kInternal = "ERR_UPLIFT_INTERNAL";
}  // namespace codes

struct Error {
  std::string code;         // one of codes::*
  std::string message;      // human readable; callers redact secrets before showing it
  long httpStatus = 0;      // 0 when no HTTP answer was read
  int curlCode = 0;         // CURLcode, 0 when not a transfer failure
  std::string requestId;    // x-amz-request-id or similar, when the server sent one
  std::string vendorCode;   // S3 <Code> or the vendor's own error code
  std::string timeoutKind;  // "connect" | "stall" | "overall" for kTimeout
  bool retryable = false;
  long retryAfterMs = -1;   // from Retry-After, -1 when absent
  int attempts = 0;         // attempts made before giving up
  int partNumber = 0;       // the part or chunk that failed, 0 when not part-based
};

inline Error makeError(const char* code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

}  // namespace uplift
