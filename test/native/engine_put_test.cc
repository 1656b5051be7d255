// putPresigned against the loopback test server: bytes and MD5 on both ends, ranges, empty
// bodies, headers, connection reuse, progress, and many jobs at once.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "primitives.h"
#include "support/fixtures.h"
#include "support/md5.h"
#include "support/test_server.h"
#include "support/wait.h"

namespace uplift::testing {
namespace {

constexpr size_t kMiB = 1024 * 1024;

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

TEST(EnginePut, FileBodyArrivesWholeWithMatchingMd5AndEtag) {
  TestServer server;
  TempDir dir;
  const std::string data = pseudoRandomBytes(3 * kMiB + 123, 1);
  Error err;
  auto source = FileSource::open(dir.file("talk.wav", data), &err);
  ASSERT_NE(source, nullptr) << err.message;

  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  PutSpec spec;
  spec.url = server.url("/bucket/talk.wav" + presignedQuery());
  spec.body = wholeBody(source);
  spec.headers = {{"Content-Type", "audio/wav"}, {"x-amz-meta-origin", "test"}};
  Outcome<PutResult> out;
  putPresigned(engine, job, spec, out.callback());
  ASSERT_TRUE(out.wait());

  EXPECT_EQ(out.error().code, "") << out.error().message;
  PutResult r = out.result();
  const std::string md5 = md5Hex(data);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.md5, md5);
  EXPECT_EQ(r.etag, quoted(md5));
  EXPECT_EQ(r.bytes, data.size());
  EXPECT_EQ(r.attempts, 1);
  EXPECT_NE(out.thread(), std::this_thread::get_id());  // called on an engine thread

  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].target, "/bucket/talk.wav" + presignedQuery());
  EXPECT_TRUE(reqs[0].complete);
  EXPECT_EQ(reqs[0].bodyBytes, data.size());
  EXPECT_EQ(reqs[0].bodyMd5, md5);
  EXPECT_EQ(reqs[0].headers["content-length"], std::to_string(data.size()));
  EXPECT_EQ(reqs[0].headers["content-type"], "audio/wav");
  EXPECT_EQ(reqs[0].headers["x-amz-meta-origin"], "test");
  EXPECT_EQ(reqs[0].headers.count("transfer-encoding"), 0u);

  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(out.calls(), 1);
}

TEST(EnginePut, RangeOfAFileSendsExactlyThoseBytes) {
  TestServer server;
  TempDir dir;
  const std::string data = pseudoRandomBytes(2 * kMiB, 2);
  Error err;
  auto source = FileSource::open(dir.file("a.bin", data), &err);
  ASSERT_NE(source, nullptr);
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  PutSpec spec;
  spec.url = server.url("/range");
  spec.body = BodyRange{source, 1000003, 524288 + 7};
  Outcome<PutResult> out;
  putPresigned(engine, job, spec, out.callback());
  ASSERT_TRUE(out.wait());
  ASSERT_EQ(out.error().code, "") << out.error().message;
  const std::string md5 = md5Hex(std::string_view(data).substr(1000003, 524288 + 7));
  EXPECT_EQ(out.result().md5, md5);
  EXPECT_EQ(out.result().bytes, 524288u + 7);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].bodyMd5, md5);
  EXPECT_EQ(reqs[0].bodyBytes, 524288u + 7);
}

TEST(EnginePut, EmptyBodies) {
  TestServer server;
  TempDir dir;
  Error err;
  auto emptyFile = FileSource::open(dir.file("empty.wav", ""), &err);
  ASSERT_NE(emptyFile, nullptr);
  Engine engine(fastEngineOptions());
  const std::string emptyMd5 = "d41d8cd98f00b204e9800998ecf8427e";
  for (BodyRange body : {BodyRange{}, wholeBody(emptyFile)}) {
    SCOPED_TRACE(body.source ? "empty file" : "no source");
    server.clear();
    PutSpec spec;
    spec.url = server.url("/empty");
    spec.body = body;
    Outcome<PutResult> out;
    putPresigned(engine, engine.newJob(engine.defaultJobOptions()), spec, out.callback());
    ASSERT_TRUE(out.wait());
    ASSERT_EQ(out.error().code, "") << out.error().message;
    EXPECT_EQ(out.result().md5, emptyMd5);
    EXPECT_EQ(out.result().etag, quoted(emptyMd5));
    EXPECT_EQ(out.result().bytes, 0u);
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "PUT");
    EXPECT_EQ(reqs[0].bodyBytes, 0u);
    EXPECT_EQ(reqs[0].headers["content-length"], "0");
  }
}

TEST(EnginePut, OtherMethodAndMemorySourceWithoutDigest) {
  TestServer server;
  server.enqueue(Reply{201, {{"ETag", kMd5Placeholder}, {"X-Request-Id", "abc"}}, "stored"});
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(100000, 3);
  PutSpec spec;
  spec.method = "POST";
  spec.url = server.url("/upload");
  spec.body = wholeBody(memorySource(data));
  spec.computeMd5 = false;
  spec.expectStatus = {201};
  Outcome<PutResult> out;
  putPresigned(engine, engine.newJob(engine.defaultJobOptions()), spec, out.callback());
  ASSERT_TRUE(out.wait());
  ASSERT_EQ(out.error().code, "") << out.error().message;
  PutResult r = out.result();
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.md5, "");  // not asked for
  EXPECT_EQ(r.body, "stored");
  bool sawRequestId = false;
  for (const auto& h : r.headers) sawRequestId |= h.first == "x-request-id" && h.second == "abc";
  EXPECT_TRUE(sawRequestId);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].bodyMd5, md5Hex(data));
}

TEST(EnginePut, UnexpectedSuccessStatusIsAnError) {
  TestServer server;  // answers 200
  Engine engine(fastEngineOptions());
  PutSpec spec;
  spec.url = server.url("/x");
  spec.body = wholeBody(memorySource("abc"));
  spec.expectStatus = {201};
  Outcome<PutResult> out;
  putPresigned(engine, engine.newJob(engine.defaultJobOptions()), spec, out.callback());
  ASSERT_TRUE(out.wait());
  EXPECT_EQ(out.error().code, codes::kHttp);
  EXPECT_EQ(out.error().httpStatus, 200);
  EXPECT_FALSE(out.error().retryable);
  EXPECT_EQ(server.requests().size(), 1u);
}

// Sequential uploads on one I/O thread reuse one keep-alive connection.
TEST(EnginePut, SequentialPutsOnOneThreadReuseTheConnection) {
  TestServer server;
  Engine engine(fastEngineOptions(1));
  auto sharedJob = engine.newJob(engine.defaultJobOptions());
  for (int i = 0; i < 6; ++i) {
    const std::string data = pseudoRandomBytes(200000 + i, 10 + i);
    PutSpec spec;
    spec.url = server.url("/seq/" + std::to_string(i));
    spec.body = wholeBody(memorySource(data));
    // Half on one job, half on fresh jobs: both run on the only I/O thread.
    auto job = i % 2 ? sharedJob : engine.newJob(engine.defaultJobOptions());
    Outcome<PutResult> out;
    putPresigned(engine, job, spec, out.callback());
    ASSERT_TRUE(out.wait());
    ASSERT_EQ(out.error().code, "") << out.error().message;
    EXPECT_EQ(out.result().etag, quoted(md5Hex(data)));
  }
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 6u);
  EXPECT_EQ(server.connectionsAccepted(), 1);
  for (const auto& r : reqs) EXPECT_EQ(r.connectionId, 1);
}

// A long answer is kept up to maxResponseBody (64 KiB) and the rest read and dropped, so the
// connection stays usable for the next request.
TEST(EnginePut, LongAnswersAreTruncatedAndTheConnectionKept) {
  TestServer server;
  const std::string longBody = pseudoRandomBytes(200 * 1024, 6);
  server.enqueue(Reply{200, {{"ETag", kMd5Placeholder}}, longBody});
  Engine engine(fastEngineOptions(1));
  for (int i = 0; i < 2; ++i) {
    PutSpec spec;
    spec.url = server.url("/long/" + std::to_string(i));
    spec.body = wholeBody(memorySource("abc"));
    Outcome<PutResult> out;
    putPresigned(engine, engine.newJob(engine.defaultJobOptions()), spec, out.callback());
    ASSERT_TRUE(out.wait());
    ASSERT_EQ(out.error().code, "") << out.error().message;
    if (i == 0) {
      EXPECT_EQ(out.result().body, longBody.substr(0, 64 * 1024));
    }
  }
  EXPECT_EQ(server.connectionsAccepted(), 1);
}

TEST(EnginePut, ThreadCountIsClamped) {
  EngineOptions few = fastEngineOptions(0), many = fastEngineOptions(99);
  Engine a(few), b(many);
  EXPECT_EQ(a.options().threads, 1);
  EXPECT_EQ(b.options().threads, 16);
  TestServer server;
  Outcome<PutResult> out;
  PutSpec spec;
  spec.url = server.url("/one-thread");
  spec.body = wholeBody(memorySource("abc"));
  putPresigned(a, a.newJob(a.defaultJobOptions()), spec, out.callback());
  ASSERT_TRUE(out.wait());
  EXPECT_EQ(out.error().code, "") << out.error().message;
}

TEST(EnginePut, ProgressReachesTheTotalOnceAtTheEnd) {
  TestServer server;
  const std::string data = pseudoRandomBytes(4 * kMiB + 11, 4);
  Engine engine(fastEngineOptions());
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ProgressLog log;
    JobOptions jo = engine.defaultJobOptions();
    jo.onProgress = log.callback();
    jo.progressIntervalMs = 0;  // every read reports
    auto job = engine.newJob(jo);
    PutSpec spec;
    spec.url = server.url("/progress");
    spec.body = wholeBody(memorySource(data));
    Outcome<PutResult> out;
    size_t eventsAtDone = 0;
    auto record = out.callback();
    putPresigned(engine, job, spec, [&eventsAtDone, log, record](const Error& e, PutResult& r) {
      eventsAtDone = log.events().size();
      record(e, r);
    });
    ASSERT_TRUE(out.wait());
    ASSERT_EQ(out.error().code, "") << out.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto events = log.events();
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events.size(), eventsAtDone) << "progress reported after done";
    int complete = 0;
    uint64_t last = 0;
    for (const auto& p : events) {
      EXPECT_EQ(p.totalBytes, data.size());
      EXPECT_EQ(p.partsTotal, 1u);
      EXPECT_GE(p.bytesSent, last);  // no retries here: never goes back
      last = p.bytesSent;
      complete += p.bytesSent == p.totalBytes && p.partsDone == p.partsTotal;
    }
    EXPECT_EQ(complete, 1);
    EXPECT_EQ(events.back().bytesSent, data.size());
    EXPECT_EQ(events.back().partsDone, 1u);
    EXPECT_EQ(job->snapshot().bytesSent, data.size());
  }
}

TEST(EnginePut, ManyJobsAtOnceOnTwoThreads) {
  TestServer server;
  Engine engine(fastEngineOptions(2));
  constexpr int kJobs = 8;
  std::vector<std::string> bodies;
  std::vector<Outcome<PutResult>> outs(kJobs);
  for (int i = 0; i < kJobs; ++i) bodies.push_back(pseudoRandomBytes(kMiB / 2 + i * 4099, 100 + i));
  for (int i = 0; i < kJobs; ++i) {
    PutSpec spec;
    spec.url = server.url("/many/" + std::to_string(i));
    spec.body = wholeBody(memorySource(bodies[i]));
    putPresigned(engine, engine.newJob(engine.defaultJobOptions()), spec, outs[i].callback());
  }
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(outs[i].wait()) << i;
    EXPECT_EQ(outs[i].error().code, "") << outs[i].error().message;
    EXPECT_EQ(outs[i].result().md5, md5Hex(bodies[i])) << i;
    EXPECT_EQ(outs[i].result().etag, quoted(md5Hex(bodies[i]))) << i;
  }
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), static_cast<size_t>(kJobs));
  for (const auto& r : reqs) {
    int i = std::stoi(r.target.substr(r.target.rfind('/') + 1));
    EXPECT_EQ(r.bodyMd5, md5Hex(bodies[i])) << r.target;
  }
}

}  // namespace
}  // namespace uplift::testing
