// One HTTP exchange as the engine sees it: what to send, what came back, how long to wait.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "source.h"

struct x509_store_st;  // OpenSSL's X509_STORE

namespace uplift {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct FormField {
  std::string name;
  std::string value;
};

// A multipart/form-data body built with curl_mime: fields, then the file part streamed from
// its source, then fieldsAfterFile (S3 ignores fields after the file; kept for fidelity).
struct FormBody {
  std::vector<FormField> fields;
  std::string fileField = "file";
  std::string fileName;
  std::string fileContentType;  // empty = application/octet-stream
  BodyRange file;
  std::vector<FormField> fieldsAfterFile;
};

struct HttpRequest {
  std::string method = "PUT";
  std::string url;
  Headers headers;
  BodyRange body;          // streamed body; ignored when `form` or `inlineBody` is used
  std::string inlineBody;  // small bodies (JSON) sent from memory
  bool hasInlineBody = false;
  bool isForm = false;
  FormBody form;
  std::vector<long> expectStatus;  // empty = any 2xx
  size_t maxResponseBody = 64 * 1024;  // bytes of the answer kept in HttpResponse::body
  // An answer body longer than this fails the attempt with ERR_UPLIFT_BAD_RESPONSE (not
  // retried): upload and vendor answers are small, an endless one must not keep a job alive.
  uint64_t maxResponseBytes = 4 * 1024 * 1024;
  int partNumber = 0;  // for errors and logs; 0 when not part-based
  // The server works before it answers (a vendor's complete step, which merges what was
  // uploaded): once the request is sent, the wait for the first answer byte is bounded by
  // timeouts.responseMs alone, not cut by stallMs. A retry sent while the first request is
  // still being worked on would find it busy (or the work done twice).
  bool slowAnswer = false;
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names lower-cased, in arrival order, of the final response only
  std::string body; // truncated to HttpRequest::maxResponseBody
  uint64_t bytesSent = 0;  // body bytes handed to curl in the final attempt
  int attempts = 0;

  // First header with this lower-case name, or "".
  std::string header(const std::string& lowerName) const;
};

struct Timeouts {
  long connectMs = 10000;   // TCP + TLS handshake
  long stallMs = 30000;     // no byte sent or received for this long
  long overallMs = 0;       // whole job (all parts, all retries); 0 = none
  // From the end of the request body (or the first answer body byte, if sooner) to the end
  // of the answer; 0 = none. Catches a peer that drips its answer (the stall timer sees bytes
  // move). ERR_UPLIFT_TIMEOUT kind "response", not retried.
  long responseMs = 120000;
};

struct RetryPolicy {
  int maxAttempts = 4;      // first try included
  long baseDelayMs = 200;   // doubled each retry, with jitter
  long maxDelayMs = 20000;  // cap on one wait (Retry-After included)
  // When > 0, retryable failures are retried past maxAttempts until this long after the
  // request first failed (a laptop that loses its network for a minute carries on).
  long maxElapsedMs = 0;
};

/** caPem parsed once into a certificate store that every TLS connection shares; null when
 *  empty or unparsable (the engine then hands libcurl the PEM text itself). */
std::shared_ptr<::x509_store_st> parseCaStore(const std::string& pem);

struct TlsOptions {
  std::string caFile;               // CA bundle file (PEM); replaces caPem when set
  std::string caPem;                // CA certificates in memory (PEM); empty = libcurl's default
  std::shared_ptr<::x509_store_st> caStore;  // caPem parsed (Engine sets it), shared by connections
  bool insecureSkipVerify = false;  // only when the caller asked for it by name
};

}  // namespace uplift
