// Faults on the wire and how the engine answers them: retried 503 / 429 (Retry-After measured)
// / resets mid-body, final 403s with S3 details, expired URLs, stall and overall timeouts, and
// refused connections. Small bodies and 10 ms backoff keep each case short.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "primitives.h"
#include "support/fixtures.h"
#include "support/md5.h"
#include "support/test_server.h"
#include "support/wait.h"

namespace uplift::testing {
namespace {

constexpr size_t kKiB = 1024;
constexpr size_t kMiB = 1024 * kKiB;

// Runs one PUT of `data` to `url` on a fresh job and waits for it.
Outcome<PutResult> put(Engine& engine, const std::string& url, const std::string& data,
                       JobOptions jo) {
  PutSpec spec;
  spec.url = url;
  spec.body = wholeBody(memorySource(data));
  Outcome<PutResult> out;
  putPresigned(engine, engine.newJob(std::move(jo)), spec, out.callback());
  EXPECT_TRUE(out.wait(30000)) << "no answer from the engine";
  return out;
}

JobOptions attempts(Engine& engine, int n) {
  JobOptions jo = engine.defaultJobOptions();
  jo.retry.maxAttempts = n;
  return jo;
}

void expectNoSecret(const Error& e) {
  EXPECT_EQ(e.message.find(kSecretSignature), std::string::npos) << e.message;
}

TEST(EngineRetry, ServiceUnavailableIsRetriedAndTheBodyResentWhole) {
  TestServer server;
  server.enqueue(Reply{503, {}, "busy"});
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(300 * kKiB, 11);
  auto out = put(engine, server.url("/k" + presignedQuery()), data, attempts(engine, 3));
  ASSERT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result().attempts, 2);
  EXPECT_EQ(out.result().md5, md5Hex(data));
  EXPECT_EQ(out.result().etag, "\"" + md5Hex(data) + "\"");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  for (const auto& r : reqs) {
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.bodyMd5, md5Hex(data));
  }
}

TEST(EngineRetry, RetriesStopAfterMaxAttempts) {
  TestServer server([](const Request&) {
    Reply r;
    r.status = 503;
    r.body = s3ErrorXml("ServiceUnavailable", "Please reduce your request rate.", "R-503");
    return r;
  });
  Engine engine(fastEngineOptions());
  auto out = put(engine, server.url("/k" + presignedQuery()), "abc", attempts(engine, 3));
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kHttp);
  EXPECT_EQ(e.httpStatus, 503);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.attempts, 3);
  EXPECT_EQ(e.requestId, "R-503");
  expectNoSecret(e);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(EngineRetry, TooManyRequestsWaitsForRetryAfter) {
  std::mutex mu;
  std::vector<Clock::time_point> heads;  // guarded by mu
  TestServer server([&](const Request&) {
    std::lock_guard<std::mutex> lock(mu);
    heads.push_back(Clock::now());
    if (heads.size() == 1) return Reply{429, {{"Retry-After", "1"}}, "slow down"};
    return defaultReply();
  });
  Engine engine(fastEngineOptions());  // backoff alone would wait 5..10 ms
  auto out = put(engine, server.url("/k"), pseudoRandomBytes(1000), attempts(engine, 3));
  ASSERT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result().attempts, 2);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(heads.size(), 2u);
  auto waitedMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(heads[1] - heads[0]).count();
  EXPECT_GE(waitedMs, 1000);
  EXPECT_LT(waitedMs, 2500);
}

TEST(EngineRetry, RateLimitedWhenRetriesRunOut) {
  TestServer server([](const Request&) { return Reply{429, {{"Retry-After", "0"}}, ""}; });
  Engine engine(fastEngineOptions());
  auto out = put(engine, server.url("/k"), "abc", attempts(engine, 2));
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kRateLimited);
  EXPECT_EQ(e.httpStatus, 429);
  EXPECT_EQ(e.retryAfterMs, 0);
  EXPECT_EQ(e.attempts, 2);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(EngineRetry, ConnectionResetMidBodyResendsTheWholeBody) {
  TestServer server;
  Reply reset;
  reset.resetAfterBodyBytes = 256 * kKiB;
  server.enqueue(reset);
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(2 * kMiB + 5, 12);
  ProgressLog log;
  JobOptions jo = attempts(engine, 3);
  jo.onProgress = log.callback();
  jo.progressIntervalMs = 0;
  auto out = put(engine, server.url("/k"), data, jo);
  ASSERT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result().attempts, 2);
  EXPECT_EQ(out.result().md5, md5Hex(data));
  EXPECT_EQ(out.result().bytes, data.size());
  EXPECT_EQ(out.result().etag, "\"" + md5Hex(data) + "\"");

  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_FALSE(reqs[0].complete);
  EXPECT_EQ(reqs[0].bodyBytes, 256 * kKiB);
  EXPECT_TRUE(reqs[1].complete);
  EXPECT_EQ(reqs[1].bodyBytes, data.size());
  EXPECT_EQ(reqs[1].bodyMd5, md5Hex(data));
  EXPECT_NE(reqs[0].connectionId, reqs[1].connectionId);

  auto events = log.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().bytesSent, data.size());
  EXPECT_EQ(events.back().partsDone, 1u);
}

TEST(EngineRetry, ForbiddenIsFinalWithTheS3ErrorParsed) {
  TestServer server([](const Request&) {
    return Reply{403,
                 {{"Content-Type", "application/xml"}, {"x-amz-request-id", "HDR-ID"}},
                 s3ErrorXml("SignatureDoesNotMatch",
                            "The request signature we calculated does not match the signature "
                            "you provided.",
                            "7D3F2A1B9C")};
  });
  Engine engine(fastEngineOptions());
  auto out = put(engine, server.url("/k" + presignedQuery()), pseudoRandomBytes(5000),
                 attempts(engine, 4));
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kHttp);
  EXPECT_EQ(e.httpStatus, 403);
  EXPECT_EQ(e.vendorCode, "SignatureDoesNotMatch");
  EXPECT_EQ(e.requestId, "7D3F2A1B9C");
  EXPECT_NE(e.message.find("does not match the signature"), std::string::npos) << e.message;
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.attempts, 1);
  expectNoSecret(e);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(EngineRetry, ExpiredUrlIsUrlExpired) {
  TestServer server([](const Request&) {
    return Reply{403, {}, s3ErrorXml("AccessDenied", "Request has expired", "EXP-1")};
  });
  Engine engine(fastEngineOptions());
  auto out = put(engine, server.url("/k" + presignedQuery()), "abc", attempts(engine, 4));
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kUrlExpired);
  EXPECT_EQ(e.httpStatus, 403);
  EXPECT_EQ(e.requestId, "EXP-1");
  EXPECT_FALSE(e.retryable);
  expectNoSecret(e);
  EXPECT_EQ(server.requests().size(), 1u);
}

// A server that refuses before reading the body (as S3 does for a bad signature) is heard:
// the answer is the 403, not a network error from the unread body.
TEST(EngineRetry, EarlyForbiddenBeforeTheBodyIsReportedAsHttp) {
  TestServer server;
  Reply early{403, {}, s3ErrorXml("AccessDenied", "Access Denied", "EARLY")};
  early.replyBeforeBody = true;
  server.enqueue(early);
  Engine engine(fastEngineOptions());
  auto out = put(engine, server.url("/k"), pseudoRandomBytes(4 * kMiB, 13), attempts(engine, 3));
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kHttp) << e.message;
  EXPECT_EQ(e.httpStatus, 403);
  EXPECT_EQ(e.vendorCode, "AccessDenied");
  EXPECT_EQ(e.attempts, 1);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].bodyBytes, 0u);
}

TEST(EngineRetry, StalledServerTimesOutAsStall) {
  TestServer server;
  Reply stalled;
  stalled.delayBeforeReplyMs = 8000;
  server.enqueue(stalled);
  server.enqueue(stalled);
  Engine engine(fastEngineOptions());
  JobOptions jo = attempts(engine, 2);
  jo.timeouts.stallMs = 400;
  auto start = Clock::now();
  auto out = put(engine, server.url("/k" + presignedQuery()), pseudoRandomBytes(2000), jo);
  auto elapsed = msSince(start);
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kTimeout) << e.message;
  EXPECT_EQ(e.timeoutKind, "stall");
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.attempts, 2);
  expectNoSecret(e);
  EXPECT_GE(elapsed, 2 * 400);
  EXPECT_LT(elapsed, 6000);  // two stalls detected well before the server would answer
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(EngineRetry, OverallTimeoutEndsTheJob) {
  TestServer server([](const Request&) {
    Reply r = defaultReply();
    r.delayBeforeReplyMs = 8000;
    return r;
  });
  Engine engine(fastEngineOptions());
  JobOptions jo = attempts(engine, 5);
  jo.timeouts.overallMs = 700;
  auto start = Clock::now();
  auto out = put(engine, server.url("/k"), "abc", jo);
  auto elapsed = msSince(start);
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kTimeout) << e.message;
  EXPECT_EQ(e.timeoutKind, "overall");
  EXPECT_FALSE(e.retryable);
  EXPECT_GE(elapsed, 700);
  EXPECT_LT(elapsed, 4000);
}

TEST(EngineRetry, RefusedConnectionIsARetryableNetworkError) {
  RefusingPort closed;
  Engine engine(fastEngineOptions());
  auto start = Clock::now();
  auto out = put(engine, closed.url("/k" + presignedQuery()), "abc", attempts(engine, 3));
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kNetwork) << e.message;
  EXPECT_EQ(e.curlCode, 7);  // CURLE_COULDNT_CONNECT
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.attempts, 3);
  EXPECT_EQ(e.httpStatus, 0);
  expectNoSecret(e);
  EXPECT_LT(msSince(start), 3000);
}

}  // namespace
}  // namespace uplift::testing
