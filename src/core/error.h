// Errors as values: every engine operation ends with either a result or an Error.
// Nothing throws across the engine's API; codes are the TypeScript layer's ERR_UPLIFT_* codes,
// both generated from src/core/errors.json.
#pragma once

#include <string>

#include "error_codes.h"  // codes::k* and retry_facts, generated from errors.json

namespace uplift {

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
  std::string field;        // for kInvalidArgument: the option or spec field at fault, when known
};

inline Error makeError(const char* code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

}  // namespace uplift
