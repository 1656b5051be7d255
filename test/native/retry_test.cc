// Pure retry logic (retry.h): outcome classification, backoff with jitter and Retry-After,
// Retry-After parsing and S3 XML error parsing. The networked retry cases are in
// engine_retry_test.cc.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <string>

#include "retry.h"
#include "support/fixtures.h"

namespace uplift {
namespace {

HttpResponse response(long status, std::string body = "", Headers headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

HttpRequest putRequest(int partNumber = 0) {
  HttpRequest r;
  r.method = "PUT";
  r.url = "http://127.0.0.1:1/key" + testing::presignedQuery();
  r.partNumber = partNumber;
  return r;
}

TEST(ClassifyOutcome, TwoHundredsSucceed) {
  for (long s : {200L, 201L, 204L}) {
    Error e = classifyOutcome(CURLE_OK, "", true, putRequest(), response(s));
    EXPECT_EQ(e.code, "") << s;
  }
}

TEST(ClassifyOutcome, ExpectStatusIsExact) {
  HttpRequest req = putRequest();
  req.expectStatus = {201};
  EXPECT_EQ(classifyOutcome(CURLE_OK, "", true, req, response(201)).code, "");
  Error e = classifyOutcome(CURLE_OK, "", true, req, response(200));
  EXPECT_EQ(e.code, codes::kHttp);
  EXPECT_EQ(e.httpStatus, 200);
  EXPECT_FALSE(e.retryable);
}

TEST(ClassifyOutcome, ServerErrorsAreRetryable) {
  for (long s : {500L, 502L, 503L, 504L}) {
    Error e = classifyOutcome(CURLE_OK, "", true, putRequest(3), response(s));
    EXPECT_EQ(e.code, codes::kHttp) << s;
    EXPECT_TRUE(e.retryable) << s;
    EXPECT_EQ(e.httpStatus, s);
    EXPECT_EQ(e.partNumber, 3);
  }
}

TEST(ClassifyOutcome, TooManyRequestsIsRateLimitedWithRetryAfter) {
  Error e = classifyOutcome(CURLE_OK, "", true, putRequest(),
                            response(429, "", {{"retry-after", "7"}}));
  EXPECT_EQ(e.code, codes::kRateLimited);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.retryAfterMs, 7000);
}

TEST(ClassifyOutcome, S3SlowDownIsRateLimitedEvenAsA503) {
  Error e = classifyOutcome(CURLE_OK, "", true, putRequest(),
                            response(503, testing::s3ErrorXml("SlowDown", "Reduce your rate", "R1")));
  EXPECT_EQ(e.code, codes::kRateLimited);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.vendorCode, "SlowDown");
  EXPECT_EQ(e.retryAfterMs, -1);
}

TEST(ClassifyOutcome, ForbiddenIsFinalWithS3Details) {
  Error e = classifyOutcome(
      CURLE_OK, "", true, putRequest(),
      response(403, testing::s3ErrorXml("AccessDenied", "Access Denied", "4442587FB7D0A2F9"),
               {{"x-amz-request-id", "header-id"}}));
  EXPECT_EQ(e.code, codes::kHttp);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.httpStatus, 403);
  EXPECT_EQ(e.vendorCode, "AccessDenied");
  EXPECT_EQ(e.requestId, "4442587FB7D0A2F9");  // the body's id wins over the header's
  EXPECT_NE(e.message.find("Access Denied"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find(testing::kSecretSignature), std::string::npos) << e.message;
}

TEST(ClassifyOutcome, RequestIdFromHeaderWhenTheBodyHasNone) {
  Error e = classifyOutcome(CURLE_OK, "", true, putRequest(),
                            response(404, "not here", {{"x-amz-request-id", "HDR-1"}}));
  EXPECT_EQ(e.code, codes::kHttp);
  EXPECT_EQ(e.requestId, "HDR-1");
  EXPECT_EQ(e.vendorCode, "");
}

TEST(ClassifyOutcome, ExpiredPresignedUrl) {
  Error e = classifyOutcome(CURLE_OK, "", true, putRequest(),
                            response(403, testing::s3ErrorXml("AccessDenied", "Request has expired",
                                                              "RID")));
  EXPECT_EQ(e.code, codes::kUrlExpired);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.requestId, "RID");
}

TEST(ClassifyOutcome, TransportFailures) {
  Error refused = classifyOutcome(CURLE_COULDNT_CONNECT, "Failed to connect", false, putRequest(),
                                  response(0));
  EXPECT_EQ(refused.code, codes::kNetwork);
  EXPECT_TRUE(refused.retryable);
  EXPECT_EQ(refused.curlCode, CURLE_COULDNT_CONNECT);

  Error reset = classifyOutcome(CURLE_SEND_ERROR, "", true, putRequest(), response(0));
  EXPECT_EQ(reset.code, codes::kNetwork);
  EXPECT_TRUE(reset.retryable);
  EXPECT_NE(reset.message, "");  // falls back to curl's text for the code

  Error connectTimeout =
      classifyOutcome(CURLE_OPERATION_TIMEDOUT, "", false, putRequest(), response(0));
  EXPECT_EQ(connectTimeout.code, codes::kTimeout);
  EXPECT_EQ(connectTimeout.timeoutKind, "connect");
  EXPECT_TRUE(connectTimeout.retryable);

  Error tls = classifyOutcome(CURLE_PEER_FAILED_VERIFICATION, "", true, putRequest(), response(0));
  EXPECT_EQ(tls.code, codes::kTls);
  EXPECT_FALSE(tls.retryable);

  Error badUrl = classifyOutcome(CURLE_URL_MALFORMAT, "", false, putRequest(), response(0));
  EXPECT_EQ(badUrl.code, codes::kInvalidArgument);
  EXPECT_FALSE(badUrl.retryable);

  // A peer that answered something other than HTTP is to blame, not the caller's URL.
  Error notHttp = classifyOutcome(CURLE_UNSUPPORTED_PROTOCOL, "Received HTTP/0.9 when not allowed",
                                  true, putRequest(), response(0));
  EXPECT_EQ(notHttp.code, codes::kBadResponse);
  EXPECT_FALSE(notHttp.retryable);
  EXPECT_NE(notHttp.message.find("not HTTP"), std::string::npos) << notHttp.message;
  Error badScheme = classifyOutcome(CURLE_UNSUPPORTED_PROTOCOL, "", false, putRequest(), response(0));
  EXPECT_EQ(badScheme.code, codes::kInvalidArgument);
}

TEST(BackoffDelay, DoublesWithEqualJitterAndCaps) {
  RetryPolicy p;
  p.baseDelayMs = 100;
  p.maxDelayMs = 1000;
  // random 0 gives the fixed half, random ~1 the full value.
  EXPECT_EQ(backoffDelayMs(p, 1, -1, 0.0), 50);
  EXPECT_EQ(backoffDelayMs(p, 2, -1, 0.0), 100);
  EXPECT_EQ(backoffDelayMs(p, 3, -1, 0.0), 200);
  EXPECT_EQ(backoffDelayMs(p, 3, -1, 0.999), 399);
  EXPECT_EQ(backoffDelayMs(p, 10, -1, 0.0), 500);    // capped at maxDelayMs before jitter
  EXPECT_EQ(backoffDelayMs(p, 60, -1, 0.999), 999);  // no overflow for late attempts
  for (double r : {0.0, 0.25, 0.5, 0.75, 0.999}) {
    long d = backoffDelayMs(p, 2, -1, r);
    EXPECT_GE(d, 100);
    EXPECT_LT(d, 200);
  }
}

TEST(BackoffDelay, RetryAfterIsAFloorCappedByMaxDelay) {
  RetryPolicy p;
  p.baseDelayMs = 100;
  p.maxDelayMs = 5000;
  EXPECT_EQ(backoffDelayMs(p, 1, 3000, 0.0), 3000);
  EXPECT_EQ(backoffDelayMs(p, 1, 0, 0.0), 50);  // Retry-After: 0 does not shorten backoff
  EXPECT_EQ(backoffDelayMs(p, 1, 60000, 0.0), 5000);
}

TEST(ParseRetryAfter, SecondsAndDates) {
  EXPECT_EQ(parseRetryAfterMs("0", 0), 0);
  EXPECT_EQ(parseRetryAfterMs("3", 0), 3000);
  EXPECT_EQ(parseRetryAfterMs("120", 0), 120000);
  // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 in epoch seconds.
  EXPECT_EQ(parseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 5), 5000);
  EXPECT_EQ(parseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 50), 0);  // past
}

TEST(ParseRetryAfter, InvalidValues) {
  EXPECT_EQ(parseRetryAfterMs("", 0), -1);
  EXPECT_EQ(parseRetryAfterMs("soon", 0), -1);
  EXPECT_EQ(parseRetryAfterMs("-5", 0), -1);
  EXPECT_EQ(parseRetryAfterMs("999999", 0), -1);  // more than a day
}

TEST(ParseS3Error, ReadsCodeMessageAndRequestId) {
  std::string code, message, id;
  ASSERT_TRUE(parseS3Error(testing::s3ErrorXml("NoSuchUpload", "The upload does not exist", "X9"),
                           &code, &message, &id));
  EXPECT_EQ(code, "NoSuchUpload");
  EXPECT_EQ(message, "The upload does not exist");
  EXPECT_EQ(id, "X9");
}

TEST(ParseS3Error, DecodesXmlEntitiesInTheMessage) {
  std::string code, message, id;
  ASSERT_TRUE(parseS3Error("<Error><Code>EntityTooLarge</Code><Message>The request&#39;s content-length "
                           "&amp; &quot;x&quot; &lt;5&gt; &apos;&#x e9;&#xE9;&#233; &bogus; &#0;</Message></Error>",
                           &code, &message, &id));
  EXPECT_EQ(code, "EntityTooLarge");
  EXPECT_EQ(message, "The request's content-length & \"x\" <5> '&#x e9;\xC3\xA9\xC3\xA9 &bogus; &#0;");
  EXPECT_EQ(decodeXmlEntities("a &#x1F600; b"), "a \xF0\x9F\x98\x80 b");
  EXPECT_EQ(decodeXmlEntities("&#xD800;&amp"), "&#xD800;&amp");
}

TEST(ParseS3Error, NotAnS3Error) {
  std::string code, message, id;
  EXPECT_FALSE(parseS3Error("{\"error\":\"nope\"}", &code, &message, &id));
  EXPECT_FALSE(parseS3Error("<Error><Message>no code</Message></Error>", &code, &message, &id));
  EXPECT_EQ(code, "");
}

}  // namespace
TEST(ClassifyOutcome, RetriesExactlyTheStatusesOfTheErrorsTable) {
  for (long s : retry_facts::kHttpStatuses) {
    Error e = classifyOutcome(CURLE_OK, "", true, putRequest(), response(s));
    EXPECT_TRUE(e.retryable) << s;
    EXPECT_EQ(e.code, s == 429 ? codes::kRateLimited : codes::kHttp) << s;
  }
  for (long s : {400L, 404L, 408L, 413L, 501L, 505L}) {
    EXPECT_FALSE(isRetryHttpStatus(s)) << s;
    EXPECT_FALSE(classifyOutcome(CURLE_OK, "", true, putRequest(), response(s)).retryable) << s;
  }
  for (const char* c : retry_facts::kS3Codes) EXPECT_TRUE(isRetryS3Code(c)) << c;
  EXPECT_FALSE(isRetryS3Code("AccessDenied"));
  for (long s : retry_facts::kProxyStatuses) EXPECT_TRUE(isRetryProxyStatus(s)) << s;
  EXPECT_FALSE(isRetryProxyStatus(407));
}

}  // namespace uplift
