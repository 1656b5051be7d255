// Classification of every transfer outcome (once) and the backoff between attempts.
#pragma once

#include <string>

#include "error.h"
#include "http.h"

namespace uplift {

// Builds the Error for a finished attempt; code empty when the attempt succeeded.
// curlCode is the CURLcode; connected says whether a connection was established.
Error classifyOutcome(int curlCode, const char* curlMessage, bool connected,
                      const HttpRequest& req, const HttpResponse& resp);

// Milliseconds to wait before attempt number `attempt` + 1 (attempt >= 1 failed ones),
// honouring Retry-After (retryAfterMs >= 0). `random01` in [0, 1) supplies the jitter.
long backoffDelayMs(const RetryPolicy& p, int attempt, long retryAfterMs, double random01);

// True for the statuses / S3 codes after which the engine tries a transfer again
// (retry_facts, from src/core/errors.json).
bool isRetryHttpStatus(long status);
bool isRetryS3Code(const std::string& s3Code);
bool isRetryProxyStatus(long status);

// Parses a Retry-After value (delta seconds or an HTTP date) into ms; -1 when invalid.
long parseRetryAfterMs(const std::string& value, long nowEpochSeconds);

// XML text with its entities decoded: &amp; &lt; &gt; &quot; &apos; and &#NN; / &#xHH;
// (as UTF-8); anything else is kept as it is.
std::string decodeXmlEntities(const std::string& text);

// Reads <Code>, <Message> and <RequestId> from an S3 XML error body (entities decoded);
// false when absent.
bool parseS3Error(const std::string& body, std::string* code, std::string* message,
                  std::string* requestId);

}  // namespace uplift
