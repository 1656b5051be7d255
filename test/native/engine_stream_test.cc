// Streamed bodies whose producer misbehaves: a producer that stops sending must not keep a
// job from ending on cancel, Engine::close() or the overall timeout (with or without MD5, for
// a PUT, a form and a multipart upload); a stream longer than its size fails with
// ERR_UPLIFT_SIZE_MISMATCH for every size, 0 included.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "parts_math.h"
#include "primitives.h"
#include "stream_source.h"
#include "support/fixtures.h"
#include "support/md5.h"
#include "support/test_server.h"
#include "support/wait.h"

namespace uplift::testing {
namespace {

constexpr size_t kKiB = 1024;
constexpr size_t kMiB = 1024 * 1024;

std::shared_ptr<StreamSource> stream(uint64_t size) {
  return std::make_shared<StreamSource>(size, 8 * kMiB);
}

PutSpec streamPut(const std::string& url, const std::shared_ptr<StreamSource>& s, bool md5) {
  PutSpec spec;
  spec.url = url;
  spec.body = BodyRange{s, 0, s->size()};
  spec.computeMd5 = md5;
  return spec;
}

FormSpec streamForm(const std::string& url, const std::shared_ptr<StreamSource>& s, bool md5) {
  FormSpec spec;
  spec.url = url;
  spec.form.fields = {{"key", "k"}};
  spec.form.fileName = "a.bin";
  spec.form.file = BodyRange{s, 0, s->size()};
  spec.computeMd5 = md5;
  return spec;
}

PartsSpec streamParts(const TestServer& server, const std::shared_ptr<StreamSource>& s, bool md5) {
  PartsSpec spec;
  std::string err;
  for (const auto& r : splitParts(s->size(), 256 * kKiB, &err)) {
    spec.parts.push_back(PartSpec{r.partNumber,
                                  server.url("/p?partNumber=" + std::to_string(r.partNumber)),
                                  r.offset, r.length});
  }
  spec.source = s;
  spec.concurrency = 2;
  spec.computeMd5 = md5;
  return spec;
}

// Starts the operation kind on a stream of 1 MiB of which only 100 KiB ever arrive.
enum class Kind { kPut, kForm, kParts };

struct Started {
  std::shared_ptr<Job> job;
  Outcome<PutResult> put;
  Outcome<FormResult> form;
  Outcome<PartsResult> parts;
  bool wait(long ms) {
    return kind == Kind::kPut ? put.wait(ms) : kind == Kind::kForm ? form.wait(ms) : parts.wait(ms);
  }
  Error error() const {
    return kind == Kind::kPut ? put.error() : kind == Kind::kForm ? form.error() : parts.error();
  }
  Kind kind = Kind::kPut;
};

void startSilent(Engine& engine, const TestServer& server, Kind kind, bool md5, JobOptions jo,
                 Started* out) {
  auto s = stream(kMiB);
  out->kind = kind;
  out->job = engine.newJob(std::move(jo));
  if (kind == Kind::kPut) {
    putPresigned(engine, out->job, streamPut(server.url("/k"), s, md5), out->put.callback());
  } else if (kind == Kind::kForm) {
    postPresignedForm(engine, out->job, streamForm(server.url("/"), s, md5), out->form.callback());
  } else {
    uploadPresignedParts(engine, out->job, streamParts(server, s, md5), out->parts.callback());
  }
  const std::string some = pseudoRandomBytes(100 * kKiB, 61);
  s->push(some.data(), some.size());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // sent, digested, now waiting
}

const Kind kKinds[] = {Kind::kPut, Kind::kForm, Kind::kParts};

TEST(EngineStream, CancelEndsAJobWhoseProducerStopped) {
  TestServer server;
  Engine engine(fastEngineOptions());
  for (Kind kind : kKinds) {
    for (bool md5 : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "kind " << static_cast<int>(kind) << " md5 " << md5);
      Started st;
      startSilent(engine, server, kind, md5, engine.defaultJobOptions(), &st);
      auto at = Clock::now();
      st.job->cancel(makeError(codes::kAborted, "the caller aborted the upload"));
      ASSERT_TRUE(st.wait(3000)) << "the job never settled";
      EXPECT_EQ(st.error().code, codes::kAborted);
      EXPECT_LT(msSince(at), 2000);
    }
  }
}

TEST(EngineStream, OverallTimeoutFiresWhileWaitingOnTheProducer) {
  TestServer server;
  Engine engine(fastEngineOptions());
  for (Kind kind : kKinds) {
    for (bool md5 : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "kind " << static_cast<int>(kind) << " md5 " << md5);
      JobOptions jo = engine.defaultJobOptions();
      jo.timeouts.overallMs = 700;
      auto at = Clock::now();
      Started st;
      startSilent(engine, server, kind, md5, jo, &st);
      ASSERT_TRUE(st.wait(5000)) << "the overall timeout never fired";
      Error e = st.error();
      EXPECT_EQ(e.code, codes::kTimeout) << e.message;
      EXPECT_EQ(e.timeoutKind, "overall");
      EXPECT_FALSE(e.retryable);
      EXPECT_NE(e.message.find("overallMs"), std::string::npos) << e.message;
      EXPECT_GE(msSince(at), 650);
      EXPECT_LT(msSince(at), 3000);
    }
  }
}

TEST(EngineStream, CloseEndsJobsWhoseProducerStopped) {
  TestServer server;
  auto engine = std::make_unique<Engine>(fastEngineOptions());
  Started put, form, parts, putNoMd5;
  startSilent(*engine, server, Kind::kPut, true, engine->defaultJobOptions(), &put);
  startSilent(*engine, server, Kind::kForm, true, engine->defaultJobOptions(), &form);
  startSilent(*engine, server, Kind::kParts, true, engine->defaultJobOptions(), &parts);
  startSilent(*engine, server, Kind::kPut, false, engine->defaultJobOptions(), &putNoMd5);
  auto at = Clock::now();
  engine->close();
  EXPECT_LT(msSince(at), 3000);
  for (Started* st : {&put, &form, &parts, &putNoMd5}) {
    ASSERT_TRUE(st->wait(3000)) << "a job never settled after close()";
    EXPECT_EQ(st->error().code, codes::kEngineClosed) << st->error().message;
  }
  engine.reset();
}

TEST(EngineStream, AFailedTransferEndsTheDigestOfASilentStream) {
  // The peer refuses at once: the digest, parked on a producer that never pushes again,
  // must still end so the job settles with the HTTP error.
  TestServer server([](const Request&) {
    Reply r;
    r.status = 403;
    r.body = s3ErrorXml("AccessDenied", "Access Denied", "REQ1");
    r.replyBeforeBody = true;
    return r;
  });
  Engine engine(fastEngineOptions());
  Started st;
  startSilent(engine, server, Kind::kPut, true, engine.defaultJobOptions(), &st);
  ASSERT_TRUE(st.wait(3000)) << "the job never settled";
  EXPECT_EQ(st.error().code, codes::kHttp) << st.error().message;
  EXPECT_EQ(st.error().httpStatus, 403);
}

TEST(EngineStream, AStreamLongerThanASizeOfZeroFails) {
  TestServer server;
  Engine engine(fastEngineOptions());
  const std::string extra = pseudoRandomBytes(5000, 62);
  for (bool md5 : {true, false}) {
    SCOPED_TRACE(md5 ? "md5" : "no md5");
    auto s = stream(0);
    Outcome<PutResult> put;
    putPresigned(engine, engine.newJob(engine.defaultJobOptions()),
                 streamPut(server.url("/zero"), s, md5), put.callback());
    auto f = stream(0);
    Outcome<FormResult> form;
    postPresignedForm(engine, engine.newJob(engine.defaultJobOptions()),
                      streamForm(server.url("/"), f, md5), form.callback());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(put.wait(0)) << "a size-0 stream ended before its producer did";
    for (auto& src : {s, f}) {
      src->push(extra.data(), extra.size());
      src->end();
    }
    ASSERT_TRUE(put.wait(5000));
    ASSERT_TRUE(form.wait(5000));
    EXPECT_EQ(put.error().code, codes::kSizeMismatch) << put.error().message;
    EXPECT_EQ(form.error().code, codes::kSizeMismatch) << form.error().message;
  }
}

TEST(EngineStream, AnEmptyStreamOfSizeZeroSucceedsOnceItEnds) {
  TestServer server;
  Engine engine(fastEngineOptions());
  for (bool md5 : {true, false}) {
    auto s = stream(0);
    Outcome<PutResult> put;
    putPresigned(engine, engine.newJob(engine.defaultJobOptions()),
                 streamPut(server.url("/zero"), s, md5), put.callback());
    s->end();
    ASSERT_TRUE(put.wait(5000));
    EXPECT_EQ(put.error().code, "") << put.error().message;
    EXPECT_EQ(put.result().bytes, 0u);
    if (md5) EXPECT_EQ(put.result().md5, "d41d8cd98f00b204e9800998ecf8427e");
  }
}

TEST(EngineStream, AStreamLongerThanItsSizeFailsForEverySize) {
  TestServer server;
  Engine engine(fastEngineOptions());
  for (uint64_t size : {1ull, 4999ull, 300 * kKiB + 1ull}) {
    SCOPED_TRACE(size);
    auto s = stream(size);
    Outcome<PutResult> put;
    putPresigned(engine, engine.newJob(engine.defaultJobOptions()),
                 streamPut(server.url("/k"), s, false), put.callback());
    const std::string data = pseudoRandomBytes(static_cast<size_t>(size) + 5000, 63);
    s->push(data.data(), data.size());
    s->end();
    ASSERT_TRUE(put.wait(5000));
    EXPECT_EQ(put.error().code, codes::kSizeMismatch) << put.error().message;
  }
}

TEST(EngineStream, CancelAtRandomMomentsOfPushAndDrainAlwaysSettles) {
  // Push, drain, digest parking and cancel interleaved at random: every job settles, once.
  TestServer server;
  Engine engine(fastEngineOptions());
  std::mt19937 rng(20261130);
  const std::string data = pseudoRandomBytes(512 * kKiB, 64);
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE(round);
    auto s = std::make_shared<StreamSource>(data.size(), 64 * kKiB);  // a small window
    auto job = engine.newJob(engine.defaultJobOptions());
    Outcome<PutResult> out;
    putPresigned(engine, job, streamPut(server.url("/r"), s, round % 2 == 0), out.callback());
    size_t stopAt = std::uniform_int_distribution<size_t>(0, data.size())(rng);
    int cancelAfterUs = std::uniform_int_distribution<int>(0, 20000)(rng);
    std::atomic<bool> drained{true};
    s->setOnDrain([&drained] { drained = true; });
    std::thread producer([&] {
      for (size_t at = 0; at < stopAt;) {
        if (!drained.load()) {
          if (out.wait(1)) break;
          continue;
        }
        size_t n = std::min<size_t>(16 * kKiB, stopAt - at);
        drained = s->push(data.data() + at, n);
        at += n;
      }
    });
    std::this_thread::sleep_for(std::chrono::microseconds(cancelAfterUs));
    job->cancel(makeError(codes::kAborted, "the caller aborted the upload"));
    ASSERT_TRUE(out.wait(3000)) << "stopAt " << stopAt << " cancelAfterUs " << cancelAfterUs;
    producer.join();
    s->setOnDrain(nullptr);
    EXPECT_EQ(out.calls(), 1);
  }
}

}  // namespace
}  // namespace uplift::testing
