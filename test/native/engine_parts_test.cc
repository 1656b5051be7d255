// uploadPresignedParts against the loopback server: per-part bytes and ETags (sorted by part
// number whatever the order of completion), the whole-file MD5, the concurrency limit, a
// retried part, failed parts, missing ETags and progress.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "parts_math.h"
#include "primitives.h"
#include "support/fixtures.h"
#include "support/md5.h"
#include "support/test_server.h"
#include "support/wait.h"

namespace uplift::testing {
namespace {

constexpr size_t kMiB = 1024 * 1024;

// Part number from a target like "/obj?partNumber=3&uploadId=u1".
int partOf(const std::string& target) {
  size_t p = target.find("partNumber=");
  return p == std::string::npos ? 0 : std::atoi(target.c_str() + p + 11);
}

// Parts of `size` bytes in `partSize` pieces, addressed to `server`, in shuffled order.
std::vector<PartSpec> partSpecs(const TestServer& server, uint64_t size, uint64_t partSize) {
  std::string err;
  std::vector<PartSpec> out;
  for (const PartRange& r : splitParts(size, partSize, &err)) {
    out.push_back(PartSpec{r.partNumber,
                           server.url("/obj?partNumber=" + std::to_string(r.partNumber) +
                                      "&uploadId=u1" + presignedQuery()),
                           r.offset, r.length});
  }
  std::mt19937 rng(5);
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

Outcome<PartsResult> runParts(Engine& engine, PartsSpec spec, JobOptions jo) {
  Outcome<PartsResult> out;
  uploadPresignedParts(engine, engine.newJob(std::move(jo)), std::move(spec), out.callback());
  EXPECT_TRUE(out.wait(30000)) << "no answer from the engine";
  return out;
}

TEST(EngineParts, WholeFileMd5AndSortedEtags) {
  // Part 1 answers last, so completion order differs from part order.
  TestServer server([](const Request& head) {
    Reply r = defaultReply();
    if (partOf(head.target) == 1) r.delayBeforeReplyMs = 300;
    return r;
  });
  TempDir dir;
  const std::string data = pseudoRandomBytes(4 * kMiB + kMiB / 2 + 9, 31);  // 5 parts
  Error err;
  auto source = FileSource::open(dir.file("long.wav", data), &err);
  ASSERT_NE(source, nullptr);
  Engine engine(fastEngineOptions());
  PartsSpec spec;
  spec.parts = partSpecs(server, data.size(), kMiB);
  spec.source = source;
  spec.concurrency = 4;
  spec.headers = {{"Content-Type", "audio/wav"}};
  auto out = runParts(engine, spec, engine.defaultJobOptions());
  ASSERT_EQ(out.error().code, "") << out.error().message;

  PartsResult r = out.result();
  EXPECT_EQ(r.md5, md5Hex(data));
  EXPECT_EQ(r.bytes, data.size());
  EXPECT_EQ(r.retries, 0);
  ASSERT_EQ(r.parts.size(), 5u);
  for (size_t i = 0; i < r.parts.size(); ++i) {
    uint64_t off = i * kMiB;
    uint64_t len = std::min<uint64_t>(kMiB, data.size() - off);
    EXPECT_EQ(r.parts[i].partNumber, static_cast<int>(i + 1));
    EXPECT_EQ(r.parts[i].etag, "\"" + md5Hex(std::string_view(data).substr(off, len)) + "\"");
  }

  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 5u);
  std::map<int, Request> byPart;
  for (const auto& q : reqs) byPart[partOf(q.target)] = q;
  ASSERT_EQ(byPart.size(), 5u);
  Md5 whole;  // the file again, from the server's point of view
  for (auto& [n, q] : byPart) {
    uint64_t off = (n - 1) * kMiB;
    uint64_t len = std::min<uint64_t>(kMiB, data.size() - off);
    EXPECT_EQ(q.method, "PUT");
    EXPECT_TRUE(q.complete);
    EXPECT_EQ(q.bodyBytes, len);
    EXPECT_EQ(q.bodyMd5, md5Hex(std::string_view(data).substr(off, len))) << n;
    EXPECT_EQ(q.headers["content-type"], "audio/wav");
    whole.update(q.body.data(), q.body.size());  // parts are 1 MiB: kept whole
  }
  EXPECT_EQ(whole.finishHex(), r.md5);
}

TEST(EngineParts, AtMostConcurrencyPartsInFlight) {
  constexpr int kDelayMs = 600;
  std::mutex mu;
  std::vector<Clock::time_point> heads;  // guarded by mu
  TestServer server([&](const Request&) {
    {
      std::lock_guard<std::mutex> lock(mu);
      heads.push_back(Clock::now());
    }
    Reply r = defaultReply();
    r.delayBeforeReplyMs = kDelayMs;
    return r;
  });
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(6 * 64 * 1024, 32);  // 6 parts of 64 KiB
  PartsSpec spec;
  spec.parts = partSpecs(server, data.size(), 64 * 1024);
  spec.source = memorySource(data);
  spec.concurrency = 4;
  auto out = runParts(engine, spec, engine.defaultJobOptions());
  ASSERT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result().parts.size(), 6u);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(heads.size(), 6u);
  std::sort(heads.begin(), heads.end());
  auto since = [&](size_t i) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(heads[i] - heads[0]).count();
  };
  EXPECT_LT(since(3), kDelayMs) << "the first four parts should start together";
  EXPECT_GE(since(4), kDelayMs) << "a fifth part started before any of the four ended";
  EXPECT_LE(server.connectionsAccepted(), 4);
}

TEST(EngineParts, AFailedPartIsRetriedAlone) {
  std::mutex mu;
  int part3Seen = 0;  // guarded by mu
  TestServer server([&](const Request& head) {
    std::lock_guard<std::mutex> lock(mu);
    if (partOf(head.target) == 3 && part3Seen++ == 0) return Reply{503, {}, "try again"};
    return defaultReply();
  });
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(3 * kMiB, 33);
  PartsSpec spec;
  spec.parts = partSpecs(server, data.size(), kMiB);
  spec.source = memorySource(data);
  auto out = runParts(engine, spec, engine.defaultJobOptions());
  ASSERT_EQ(out.error().code, "") << out.error().message;
  PartsResult r = out.result();
  EXPECT_EQ(r.retries, 1);
  EXPECT_EQ(r.md5, md5Hex(data));
  ASSERT_EQ(r.parts.size(), 3u);
  EXPECT_EQ(r.parts[2].etag, "\"" + md5Hex(std::string_view(data).substr(2 * kMiB)) + "\"");
  std::map<int, int> sent;
  for (const auto& q : server.requests()) ++sent[partOf(q.target)];
  EXPECT_EQ(sent, (std::map<int, int>{{1, 1}, {2, 1}, {3, 2}}));
}

TEST(EngineParts, AForbiddenPartFailsTheJobAndStopsTheRest) {
  TestServer server([](const Request& head) {
    if (partOf(head.target) == 2) {
      return Reply{403, {}, s3ErrorXml("AccessDenied", "Access Denied", "P2")};
    }
    return defaultReply();
  });
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(5 * 100000, 34);
  PartsSpec spec;
  spec.parts = partSpecs(server, data.size(), 100000);
  spec.source = memorySource(data);
  spec.concurrency = 1;  // parts go in order: 3, 4 and 5 are never sent
  auto out = runParts(engine, spec, engine.defaultJobOptions());
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kHttp);
  EXPECT_EQ(e.httpStatus, 403);
  EXPECT_EQ(e.partNumber, 2);
  EXPECT_EQ(e.requestId, "P2");
  EXPECT_EQ(e.message.find(kSecretSignature), std::string::npos) << e.message;
  std::vector<int> sent;
  for (const auto& q : server.requests()) sent.push_back(partOf(q.target));
  EXPECT_EQ(sent, (std::vector<int>{1, 2}));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(out.calls(), 1);
}

TEST(EngineParts, APartWithoutEtagIsABadResponse) {
  TestServer server([](const Request& head) {
    return partOf(head.target) == 1 ? Reply{200, {}, ""} : defaultReply();
  });
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(300000, 35);
  PartsSpec spec;
  spec.parts = partSpecs(server, data.size(), 100000);
  spec.source = memorySource(data);
  auto out = runParts(engine, spec, engine.defaultJobOptions());
  EXPECT_EQ(out.error().code, codes::kBadResponse);
  EXPECT_EQ(out.error().partNumber, 1);
}

TEST(EngineParts, ProgressCountsPartsAndEndsOnceAtTheTotal) {
  TestServer server;
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(8 * 256 * 1024 + 3, 36);  // 9 parts
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ProgressLog log;
    JobOptions jo = engine.defaultJobOptions();
    jo.onProgress = log.callback();
    jo.progressIntervalMs = 0;
    PartsSpec spec;
    spec.parts = partSpecs(server, data.size(), 256 * 1024);
    spec.source = memorySource(data);
    spec.concurrency = 3;
    Outcome<PartsResult> out;
    size_t eventsAtDone = 0;
    auto record = out.callback();
    uploadPresignedParts(engine, engine.newJob(jo), spec,
                         [&eventsAtDone, log, record](const Error& e, PartsResult& r) {
                           eventsAtDone = log.events().size();
                           record(e, r);
                         });
    ASSERT_TRUE(out.wait());
    ASSERT_EQ(out.error().code, "") << out.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto events = log.events();
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.size(), eventsAtDone) << "progress reported after done";
    int complete = 0;
    uint32_t partsDone = 0;
    for (const auto& p : events) {
      EXPECT_EQ(p.totalBytes, data.size());
      EXPECT_EQ(p.partsTotal, 9u);
      EXPECT_GE(p.partsDone, partsDone);
      partsDone = p.partsDone;
      complete += p.bytesSent == p.totalBytes && p.partsDone == p.partsTotal;
    }
    EXPECT_EQ(complete, 1);
    EXPECT_EQ(events.back().bytesSent, data.size());
    EXPECT_EQ(events.back().partsDone, 9u);
  }
}

TEST(EngineParts, NoPartsFinishesAtOnce) {
  Engine engine(fastEngineOptions());
  PartsSpec spec;
  spec.source = memorySource("");
  auto out = runParts(engine, spec, engine.defaultJobOptions());
  EXPECT_EQ(out.error().code, "") << out.error().message;
  EXPECT_TRUE(out.result().parts.empty());
  EXPECT_EQ(out.result().md5, "d41d8cd98f00b204e9800998ecf8427e");
}

}  // namespace
}  // namespace uplift::testing
