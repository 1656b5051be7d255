// Outcome classification and backoff. Retryable: the statuses and S3 codes of retry_facts
// (src/core/errors.json), connection refused/reset, timeouts. Everything else is final.
#include "retry.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <limits>

namespace uplift {

std::string HttpResponse::header(const std::string& lowerName) const {
  for (const auto& h : headers) {
    if (h.first == lowerName) return h.second;
  }
  return std::string();
}

namespace {

std::string tagValue(const std::string& body, const char* tag) {
  std::string open = std::string("<") + tag + ">";
  std::string close = std::string("</") + tag + ">";
  size_t a = body.find(open);
  if (a == std::string::npos) return std::string();
  a += open.size();
  size_t b = body.find(close, a);
  if (b == std::string::npos || b - a > 4096) return std::string();
  return decodeXmlEntities(body.substr(a, b - a));
}

bool statusExpected(const HttpRequest& req, long status) {
  if (req.expectStatus.empty()) return status >= 200 && status < 300;
  return std::find(req.expectStatus.begin(), req.expectStatus.end(), status) !=
         req.expectStatus.end();
}

Error httpError(const HttpRequest& req, const HttpResponse& resp) {
  Error e;
  e.httpStatus = resp.status;
  std::string s3Code, s3Message, requestId;
  parseS3Error(resp.body, &s3Code, &s3Message, &requestId);
  e.vendorCode = s3Code;
  e.requestId = !requestId.empty() ? requestId : resp.header("x-amz-request-id");
  if (e.requestId.empty()) e.requestId = resp.header("x-request-id");
  std::string what = req.method + " answered HTTP " + std::to_string(resp.status);
  if (!s3Code.empty()) what += " " + s3Code;
  if (!s3Message.empty()) what += ": " + s3Message;
  long status = resp.status;
  if (isRetryHttpStatus(status) || isRetryS3Code(s3Code)) {
    e.code = status == 429 || s3Code == "SlowDown" ? codes::kRateLimited : codes::kHttp;
    e.retryable = true;
    std::string ra = resp.header("retry-after");
    if (!ra.empty()) e.retryAfterMs = parseRetryAfterMs(ra, static_cast<long>(time(nullptr)));
  } else if (status == 403 && (s3Message.find("expired") != std::string::npos ||
                               s3Message.find("Expired") != std::string::npos)) {
    e.code = codes::kUrlExpired;
    what += " (the presigned URL has expired: ask the vendor for a new one)";
  } else {
    e.code = codes::kHttp;
  }
  e.message = what;
  return e;
}

}  // namespace

bool isRetryHttpStatus(long status) {
  return std::find(std::begin(retry_facts::kHttpStatuses), std::end(retry_facts::kHttpStatuses), status) !=
         std::end(retry_facts::kHttpStatuses);
}

bool isRetryS3Code(const std::string& s3Code) {
  return std::find(std::begin(retry_facts::kS3Codes), std::end(retry_facts::kS3Codes), s3Code) !=
         std::end(retry_facts::kS3Codes);
}

bool isRetryProxyStatus(long status) {
  return std::find(std::begin(retry_facts::kProxyStatuses), std::end(retry_facts::kProxyStatuses), status) !=
         std::end(retry_facts::kProxyStatuses);
}

std::string decodeXmlEntities(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    size_t semi = text[i] == '&' ? text.find(';', i) : std::string::npos;
    if (semi == std::string::npos || semi - i > 10) {
      out.push_back(text[i]);
      continue;
    }
    std::string name = text.substr(i + 1, semi - i - 1);
    unsigned long cp = 0;
    bool ok = true;
    if (name == "amp") cp = '&';
    else if (name == "lt") cp = '<';
    else if (name == "gt") cp = '>';
    else if (name == "quot") cp = '"';
    else if (name == "apos") cp = '\'';
    else if (name.size() > 1 && name[0] == '#') {
      bool hex = name[1] == 'x' || name[1] == 'X';
      std::string digits = name.substr(hex ? 2 : 1);
      ok = !digits.empty() && digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") ==
                                  std::string::npos;
      if (ok) cp = std::stoul(digits, nullptr, hex ? 16 : 10);
      ok = ok && cp > 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    } else {
      ok = false;
    }
    if (!ok) {
      out.push_back(text[i]);
      continue;
    }
    // UTF-8
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    i = semi;
  }
  return out;
}

bool parseS3Error(const std::string& body, std::string* code, std::string* message,
                  std::string* requestId) {
  if (body.find("<Error>") == std::string::npos) return false;
  *code = tagValue(body, "Code");
  *message = tagValue(body, "Message");
  *requestId = tagValue(body, "RequestId");
  return !code->empty();
}

Error classifyOutcome(int curlCode, const char* curlMessage, bool connected,
                      const HttpRequest& req, const HttpResponse& resp) {
  Error e;
  e.partNumber = req.partNumber;
  if (curlCode == CURLE_OK) {
    if (statusExpected(req, resp.status)) return e;
    Error h = httpError(req, resp);
    h.partNumber = req.partNumber;
    return h;
  }
  e.curlCode = curlCode;
  std::string detail = curlMessage && *curlMessage ? curlMessage : curl_easy_strerror(
                                                                      static_cast<CURLcode>(curlCode));
  switch (curlCode) {
    case CURLE_OPERATION_TIMEDOUT:
      e.code = codes::kTimeout;
      e.timeoutKind = connected ? "stall" : "connect";
      e.retryable = true;
      e.message = std::string(connected ? "no progress" : "could not connect") +
                  " within the timeout: " + detail;
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      e.code = codes::kTls;
      e.message = "TLS verification failed: " + detail +
                  " (pass caFile for a private CA; verification stays on)";
      break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      if (connected) {  // e.g. "Received HTTP/0.9 when not allowed": the peer is to blame
        e.code = codes::kBadResponse;
        e.message = "the server's answer is not HTTP: " + detail;
      } else {
        e.code = codes::kInvalidArgument;
        e.message = "the URL cannot be used: " + detail;
      }
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      e.code = codes::kNetwork;
      e.retryable = true;
      e.message = "could not resolve the host: " + detail;
      break;
    default:
      e.code = codes::kNetwork;
      e.retryable = curlCode == CURLE_COULDNT_CONNECT || curlCode == CURLE_SEND_ERROR ||
                    curlCode == CURLE_RECV_ERROR || curlCode == CURLE_GOT_NOTHING ||
                    curlCode == CURLE_PARTIAL_FILE || curlCode == CURLE_SSL_CONNECT_ERROR ||
                    curlCode == CURLE_HTTP2 || curlCode == CURLE_HTTP2_STREAM ||
                    curlCode == CURLE_WEIRD_SERVER_REPLY;
      e.message = "network error: " + detail;
      break;
  }
  return e;
}

long backoffDelayMs(const RetryPolicy& p, int attempt, long retryAfterMs, double random01) {
  double exp = static_cast<double>(p.baseDelayMs) * std::pow(2.0, std::max(0, attempt - 1));
  double capped = std::min(exp, static_cast<double>(p.maxDelayMs));
  // Equal jitter: half fixed, half random, so retries of parallel parts spread out.
  long delay = static_cast<long>(capped / 2 + random01 * capped / 2);
  if (retryAfterMs >= 0) delay = std::max(delay, std::min(retryAfterMs, p.maxDelayMs));
  return delay;
}

long parseRetryAfterMs(const std::string& value, long nowEpochSeconds) {
  if (value.empty()) return -1;
  bool digits = std::all_of(value.begin(), value.end(),
                            [](unsigned char c) { return std::isdigit(c) || c == ' '; });
  if (digits) {
    long s = std::strtol(value.c_str(), nullptr, 10);
    if (s < 0 || s > 86400) return -1;
    return s * 1000;
  }
  time_t when = curl_getdate(value.c_str(), nullptr);
  if (when < 0) return -1;
  long diff = static_cast<long>(when) - nowEpochSeconds;
  if (diff > std::numeric_limits<long>::max() / 1000) return -1;  // a year past ~292 million
  return diff < 0 ? 0 : diff * 1000;
}

}  // namespace uplift
