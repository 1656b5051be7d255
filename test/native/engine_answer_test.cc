// Hostile or broken answers to uploads: an endless answer body (capped in size), an answer
// that drips a byte at a time (timeouts.responseMs), a 2xx sent before the body was read
// (not a success, for a PUT, a form and parts), and a single PUT's S3 MD5 ETag that is not the
// MD5 of what was sent (ERR_UPLIFT_INTEGRITY unless the object is SSE-KMS / SSE-C encrypted).
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "parts_math.h"
#include "primitives.h"
#include "stream_source.h"
#include "support/fixtures.h"
#include "support/md5.h"
#include "support/test_server.h"
#include "support/wait.h"

namespace uplift::testing {
namespace {

constexpr size_t kMiB = 1024 * 1024;

PutSpec putSpec(const std::string& url, const std::string& data, bool md5 = true) {
  PutSpec spec;
  spec.url = url;
  spec.body = wholeBody(memorySource(data));
  spec.computeMd5 = md5;
  return spec;
}

FormSpec formSpec(const std::string& url, const std::string& data) {
  FormSpec spec;
  spec.url = url;
  spec.form.fields = {{"key", "k"}};
  spec.form.fileName = "a.bin";
  spec.form.file = wholeBody(memorySource(data));
  return spec;
}

Outcome<PutResult> put(Engine& engine, PutSpec spec, JobOptions jo) {
  Outcome<PutResult> out;
  putPresigned(engine, engine.newJob(std::move(jo)), std::move(spec), out.callback());
  EXPECT_TRUE(out.wait(20000));
  return out;
}

TEST(EngineAnswer, DefaultsCapTheAnswer) {
  EXPECT_EQ(Timeouts().responseMs, 120000);
  EXPECT_EQ(HttpRequest().maxResponseBytes, 4 * kMiB);
  EXPECT_EQ(HttpRequest().maxResponseBody, 64u * 1024);
}

TEST(EngineAnswer, AnEndlessAnswerFailsAsABadResponse) {
  TestServer server([](const Request&) {
    Reply r;
    r.endlessBody = true;
    return r;
  });
  Engine engine(fastEngineOptions());
  auto start = Clock::now();
  auto out = put(engine, putSpec(server.url("/k"), "abc"), engine.defaultJobOptions());
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kBadResponse) << e.message;
  EXPECT_NE(e.message.find("4194304 bytes"), std::string::npos) << e.message;
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(server.requests().size(), 1u) << "not retried";
  EXPECT_LT(msSince(start), 10000);
}

TEST(EngineAnswer, ADrippingAnswerHitsTheResponseTimeout) {
  TestServer server([](const Request&) {
    Reply r;
    r.endlessBody = true;
    r.dripEveryMs = 100;  // bytes keep moving: the stall timer never fires
    return r;
  });
  Engine engine(fastEngineOptions());
  JobOptions jo = engine.defaultJobOptions();
  jo.timeouts.responseMs = 1000;
  auto start = Clock::now();
  auto out = put(engine, putSpec(server.url("/k"), pseudoRandomBytes(3 * kMiB, 71)), jo);
  auto elapsed = msSince(start);
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kTimeout) << e.message;
  EXPECT_EQ(e.timeoutKind, "response");
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.httpStatus, 200);
  EXPECT_NE(e.message.find("responseMs"), std::string::npos) << e.message;
  EXPECT_GE(elapsed, 1000);
  EXPECT_LT(elapsed, 5000);
  EXPECT_EQ(server.requests().size(), 1u) << "not retried";
}

TEST(EngineAnswer, ASlowUploadIsNotAResponseTimeout) {
  // responseMs counts from the end of the body: a body that takes longer to send is fine.
  TestServer server;
  Engine engine(fastEngineOptions());
  JobOptions jo = engine.defaultJobOptions();
  jo.timeouts.responseMs = 300;
  const std::string data = pseudoRandomBytes(2 * kMiB, 72);
  auto s = std::make_shared<StreamSource>(data.size(), 8 * kMiB);
  PutSpec spec;
  spec.url = server.url("/slow-body");
  spec.body = BodyRange{s, 0, data.size()};
  Outcome<PutResult> out;
  putPresigned(engine, engine.newJob(jo), spec, out.callback());
  for (size_t at = 0; at < data.size(); at += 256 * 1024) {  // ~800 ms in all
    s->push(data.data() + at, 256 * 1024);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  s->end();
  ASSERT_TRUE(out.wait());
  EXPECT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result().md5, md5Hex(data));
}

Reply earlyOk() {
  Reply r;
  r.status = 200;
  r.headers = {{"ETag", "\"0123456789abcdef0123456789abcdef\""}};
  r.replyBeforeBody = true;
  return r;
}

TEST(EngineAnswer, AnAnswerBeforeTheBodyIsNotASuccess) {
  TestServer server([](const Request&) { return earlyOk(); });
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(4 * kMiB, 73);

  auto p = put(engine, putSpec(server.url("/k"), data), engine.defaultJobOptions());
  EXPECT_EQ(p.error().code, codes::kBadResponse) << p.error().message;
  EXPECT_NE(p.error().message.find("of the 4194304 request body bytes"), std::string::npos)
      << p.error().message;
  EXPECT_EQ(p.error().httpStatus, 200);

  Outcome<FormResult> f;
  postPresignedForm(engine, engine.newJob(engine.defaultJobOptions()),
                    formSpec(server.url("/"), data), f.callback());
  ASSERT_TRUE(f.wait());
  EXPECT_EQ(f.error().code, codes::kBadResponse) << f.error().message;

  PartsSpec spec;
  std::string err;
  for (const auto& r : splitParts(data.size(), 2 * kMiB, &err)) {
    spec.parts.push_back(
        PartSpec{r.partNumber, server.url("/p?partNumber=" + std::to_string(r.partNumber)),
                 r.offset, r.length});
  }
  spec.source = memorySource(data);
  Outcome<PartsResult> parts;
  uploadPresignedParts(engine, engine.newJob(engine.defaultJobOptions()), spec,
                       parts.callback());
  ASSERT_TRUE(parts.wait());
  EXPECT_EQ(parts.error().code, codes::kBadResponse) << parts.error().message;
  EXPECT_TRUE(parts.result().parts.empty());
}

TEST(EngineAnswer, AnMd5EtagMustMatchWhatWasSent) {
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(300 * 1024, 74);
  auto answer = [](std::vector<std::pair<std::string, std::string>> headers) {
    return [headers](const Request&) {
      Reply r;
      r.headers = headers;
      return r;
    };
  };
  const std::string wrong = "\"0123456789abcdef0123456789abcdef\"";
  {
    TestServer server(answer({{"ETag", wrong}}));
    auto out = put(engine, putSpec(server.url("/k"), data), engine.defaultJobOptions());
    EXPECT_EQ(out.error().code, codes::kIntegrity) << out.error().message;
    EXPECT_NE(out.error().message.find(md5Hex(data)), std::string::npos) << out.error().message;
    // Without a digest there is nothing to compare.
    auto noMd5 = put(engine, putSpec(server.url("/k"), data, false), engine.defaultJobOptions());
    EXPECT_EQ(noMd5.error().code, "") << noMd5.error().message;
  }
  for (auto headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"ETag", wrong}, {"x-amz-server-side-encryption", "aws:kms"}},
           {{"ETag", wrong}, {"x-amz-server-side-encryption-customer-algorithm", "AES256"}},
           {{"ETag", "\"0123456789abcdef0123456789abcdef-2\""}},
           {{"ETag", "W/\"whatever\""}},
           {{"ETag", "\"" + md5Hex(data) + "\""}}}) {
    TestServer server(answer(headers));
    auto out = put(engine, putSpec(server.url("/k"), data), engine.defaultJobOptions());
    EXPECT_EQ(out.error().code, "") << headers[0].second << ": " << out.error().message;
  }
}

// A complete step's server merges what was uploaded before it answers: with slowAnswer the
// wait for its answer is not a stall (a retry would find the first request still at work);
// responseMs still bounds it. Without slowAnswer the same wait is a stall, as before.
TEST(EngineAnswer, ASlowAnswerRequestWaitsUnderResponseMsNotStallMs) {
  auto send = [](Engine& engine, bool slowAnswer, long responseMs, const std::string& url) {
    JobOptions jo = engine.defaultJobOptions();
    jo.timeouts.stallMs = 300;
    jo.timeouts.responseMs = responseMs;
    jo.retry.maxAttempts = 2;
    HttpRequest req;
    req.method = "POST";
    req.url = url;
    req.inlineBody = "{}";
    req.hasInlineBody = true;
    req.slowAnswer = slowAnswer;
    auto out = std::make_shared<Outcome<HttpResponse>>();
    engine.send(engine.newJob(jo), std::move(req), out->callback());
    EXPECT_TRUE(out->wait(20000));
    return out;
  };
  TestServer server([](const Request&) {
    Reply r = defaultReply();
    r.delayBeforeReplyMs = 1200;
    return r;
  });
  Engine engine(fastEngineOptions());

  auto slow = send(engine, true, 120000, server.url("/complete"));
  EXPECT_EQ(slow->error().code, "") << slow->error().message;
  EXPECT_EQ(slow->result().status, 200);
  EXPECT_EQ(slow->result().attempts, 1);
  EXPECT_EQ(server.requests().size(), 1u) << "one request: the wait was not cut";

  auto bounded = send(engine, true, 500, server.url("/bounded"));
  EXPECT_EQ(bounded->error().code, codes::kTimeout) << bounded->error().message;
  EXPECT_EQ(bounded->error().timeoutKind, "response");

  auto plain = send(engine, false, 120000, server.url("/plain"));
  EXPECT_EQ(plain->error().code, codes::kTimeout) << plain->error().message;
  EXPECT_EQ(plain->error().timeoutKind, "stall");
}

}  // namespace
}  // namespace uplift::testing
