// Fuzz target: parseS3Error and the HTTP branch of classifyOutcome, which read every
// non-2xx answer of a presigned PUT/POST. Input: line 1 = the status code (decimal) and
// optionally " " + a Retry-After value; the rest = the response body.
// Invariants: parseS3Error is true only with a non-empty <Code> and an <Error> element;
// tag values never exceed 4 KiB; classifyOutcome gives no error for an expected 2xx, an
// HTTP-class error otherwise, and marks only 429/5xx/SlowDown-like answers retryable.
#include "fuzz_util.h"
#include "retry.h"

using namespace uplift;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string head, body;
  fuzz::splitFirstLine(fuzz::asString(data, size), &head, &body);

  std::string code = "unset", message = "unset", requestId = "unset";
  bool found = parseS3Error(body, &code, &message, &requestId);
  if (body.find("<Error>") == std::string::npos) {
    FUZZ_CHECK(!found && code == "unset" && message == "unset" && requestId == "unset");
  } else {
    FUZZ_CHECK(found == !code.empty());
    FUZZ_CHECK(code.size() <= 4096 && message.size() <= 4096 && requestId.size() <= 4096);
    if (found) FUZZ_CHECK(body.find("<Code>" + code + "</Code>") != std::string::npos);
  }

  HttpRequest req;
  req.method = "PUT";
  req.partNumber = 3;
  HttpResponse resp;
  uint64_t status = fuzz::leadingUint64(head);
  resp.status = static_cast<long>(status % 1000);
  size_t space = head.find(' ');
  if (space != std::string::npos) resp.headers.emplace_back("retry-after", head.substr(space + 1));
  resp.headers.emplace_back("x-amz-request-id", "REQ-HEADER");
  resp.body = body;

  Error e = classifyOutcome(0, nullptr, true, req, resp);
  FUZZ_CHECK(e.partNumber == 3);
  if (resp.status >= 200 && resp.status < 300) {
    FUZZ_CHECK(e.code.empty());
    return 0;
  }
  FUZZ_CHECK(e.code == codes::kHttp || e.code == codes::kRateLimited || e.code == codes::kUrlExpired);
  FUZZ_CHECK(e.httpStatus == resp.status);
  FUZZ_CHECK(e.message.find("PUT answered HTTP " + std::to_string(resp.status)) == 0);
  FUZZ_CHECK(!e.requestId.empty());
  bool s3Retryable = found && (code == "SlowDown" || code == "RequestTimeout" || code == "InternalError");
  bool statusRetryable = resp.status == 429 || resp.status == 500 || resp.status == 502 ||
                         resp.status == 503 || resp.status == 504;
  FUZZ_CHECK(e.retryable == (s3Retryable || statusRetryable));
  if (!e.retryable) FUZZ_CHECK(e.retryAfterMs == -1);
  if (e.retryAfterMs != -1) FUZZ_CHECK(e.retryAfterMs >= 0);
  FUZZ_CHECK(e.code != codes::kUrlExpired || resp.status == 403);

  // The same request with an expected-status list: only listed statuses pass.
  req.expectStatus = {204};
  Error listed = classifyOutcome(0, nullptr, true, req, resp);
  FUZZ_CHECK(listed.code.empty() == (resp.status == 204));
  return 0;
}
