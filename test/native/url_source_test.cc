// UrlSource against the loopback test server, which serves byte ranges of one object (GET)
// and takes uploads (PUT): bytes and MD5 through PUT and parts, the bounded window, retried
// ranges, changed validators, a server ignoring Range, the size probe, and cancellation.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "primitives.h"
#include "support/fixtures.h"
#include "support/md5.h"
#include "support/test_server.h"
#include "support/wait.h"
#include "url_source.h"

namespace uplift::testing {
namespace {

constexpr size_t kMiB = 1024 * 1024;

// Answers GETs with byte ranges of `data` (206 + Content-Range, ETag etag()); other
// methods get the default upload answer. onGet may replace the reply (faults).
struct RangeServer {
  std::string data;
  std::atomic<int> gets{0};
  std::function<std::string()> etag = [] { return std::string("\"v1\""); };
  bool ignoreRange = false;
  std::function<bool(int n, Reply* r)> fault;  // n = 1-based GET count; true = use *r
  TestServer server;

  explicit RangeServer(std::string d) : data(std::move(d)) {
    server.setHandler([this](const Request& head) {
      if (head.method != "GET") return defaultReply();
      int n = ++gets;
      Reply r;
      if (fault && fault(n, &r)) return r;
      r.headers.push_back({"ETag", etag()});
      r.headers.push_back({"Last-Modified", "Mon, 30 Nov 2026 10:00:00 GMT"});
      auto it = head.headers.find("range");
      if (it == head.headers.end() || ignoreRange) {
        r.body = data;
        return r;
      }
      std::string v = it->second.substr(6);  // "bytes="
      uint64_t a = std::stoull(v.substr(0, v.find('-')));
      uint64_t b = std::stoull(v.substr(v.find('-') + 1));
      if (a >= data.size()) {
        r.status = 416;
        r.headers.push_back({"Content-Range", "bytes */" + std::to_string(data.size())});
        return r;
      }
      b = std::min<uint64_t>(b, data.size() - 1);
      r.status = 206;
      r.headers.push_back({"Content-Range", "bytes " + std::to_string(a) + "-" + std::to_string(b) + "/" +
                                                std::to_string(data.size())});
      r.body = data.substr(a, b - a + 1);
      return r;
    });
  }

  std::shared_ptr<UrlSource> source(uint64_t window = UrlSource::kDefaultWindow) {
    UrlSpec spec;
    spec.url = server.url("/src/talk.wav" + presignedQuery());
    spec.size = data.size();
    return std::make_shared<UrlSource>(spec, window);
  }

  std::vector<std::string> ranges() const {
    std::vector<std::string> out;
    for (auto& r : server.requests()) {
      if (r.method == "GET") out.push_back(r.headers.count("range") ? r.headers.at("range") : "");
    }
    return out;
  }
  std::vector<Request> puts() const {
    std::vector<Request> out;
    for (auto& r : server.requests()) {
      if (r.method == "PUT") out.push_back(r);
    }
    return out;
  }
};

// A PUT of `body` (bytes of a URL source) to `url`.
PutSpec putSpec(const std::string& url, BodyRange body, bool md5 = true) {
  PutSpec spec;
  spec.url = url;
  spec.body = std::move(body);
  spec.computeMd5 = md5;
  return spec;
}

// Starts the size probe of spec's URL; the Outcome records its answer.
Outcome<UrlProbe> probe(const std::shared_ptr<Job>& job, const UrlSpec& spec) {
  Outcome<UrlProbe> out;
  auto cb = out.callback();
  UrlSource::probe(job, spec, [cb](const Error& e, const UrlProbe& p) {
    UrlProbe copy = p;
    cb(e, copy);
  });
  return out;
}

TEST(UrlSource, PutBodyIsOneRangedGetWithBoundedWindowAndRightBytes) {
  RangeServer rs(pseudoRandomBytes(6 * kMiB + 77, 3));
  auto src = rs.source(64 * 1024);
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  PutSpec spec = putSpec(rs.server.url("/dst/talk.wav" + presignedQuery()), wholeBody(src), false);
  Outcome<PutResult> out;
  putPresigned(engine, job, spec, out.callback());
  ASSERT_TRUE(out.wait());
  ASSERT_EQ(out.error().code, "") << out.error().message;
  auto puts = rs.puts();
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0].bodyMd5, md5Hex(rs.data));
  EXPECT_EQ(puts[0].bodyBytes, rs.data.size());
  auto ranges = rs.ranges();
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0], "bytes=0-" + std::to_string(rs.data.size() - 1));
  // The window (64 KiB) plus at most one delivery of curl's receive buffer (128 KiB).
  EXPECT_LE(src->highWaterBytes(), 64u * 1024 + 128 * 1024);
  EXPECT_GT(src->highWaterBytes(), 0u);
  EXPECT_EQ(src->bufferedBytes(), 0u);
}

TEST(UrlSource, DigestComesFromAnExtraSequentialGetAndMatches) {
  RangeServer rs(pseudoRandomBytes(2 * kMiB + 5, 4));
  auto src = rs.source();
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  PutSpec spec = putSpec(rs.server.url("/dst/a" + presignedQuery()), wholeBody(src));
  Outcome<PutResult> out;
  putPresigned(engine, job, spec, out.callback());
  ASSERT_TRUE(out.wait());
  ASSERT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result().md5, md5Hex(rs.data));
  EXPECT_EQ(rs.ranges().size(), 2u);  // the body's range and the digest's
}

TEST(UrlSource, PartsFetchTheirOwnRangesAndA503IsRetried) {
  RangeServer rs(pseudoRandomBytes(5 * kMiB + 3, 5));
  rs.fault = [](int n, Reply* r) {
    if (n != 2) return false;
    r->status = 503;
    r->body = s3ErrorXml("SlowDown", "Please reduce your request rate.", "RID");
    return true;
  };
  auto src = rs.source();
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  PartsSpec spec;
  spec.source = src;
  spec.concurrency = 2;
  const uint64_t part = 2 * kMiB;
  for (int i = 0; i * part < rs.data.size(); ++i) {
    uint64_t off = i * part;
    spec.parts.push_back(PartSpec{i + 1, rs.server.url("/dst/p?partNumber=" + std::to_string(i + 1)), off,
                                  std::min<uint64_t>(part, rs.data.size() - off)});
  }
  spec.computeMd5 = false;
  Outcome<PartsResult> out;
  uploadPresignedParts(engine, job, spec, out.callback());
  ASSERT_TRUE(out.wait());
  ASSERT_EQ(out.error().code, "") << out.error().message;
  std::string joined;
  auto puts = rs.puts();
  ASSERT_EQ(puts.size(), 3u);
  uint64_t total = 0;
  for (auto& p : puts) total += p.bodyBytes;
  EXPECT_EQ(total, rs.data.size());
  auto ranges = rs.ranges();
  EXPECT_EQ(ranges.size(), 4u);  // three ranges, one of them twice (the 503)
  EXPECT_EQ(src->getRequests(), 4);
  for (std::string want : {"bytes=0-2097151", "bytes=2097152-4194303", "bytes=4194304-5242882"}) {
    EXPECT_NE(std::find(ranges.begin(), ranges.end(), want), ranges.end()) << want;
  }
}

TEST(UrlSource, ChangedEtagFailsWithSourceChangedAndNoSignature) {
  RangeServer rs(pseudoRandomBytes(3 * kMiB, 6));
  std::atomic<int> n{0};
  rs.etag = [&n] { return std::string(++n == 1 ? "\"v1\"" : "\"v2\""); };
  auto src = rs.source();
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  PartsSpec spec;
  spec.source = src;
  spec.concurrency = 1;
  spec.parts.push_back(PartSpec{1, rs.server.url("/dst/p1"), 0, 2 * kMiB});
  spec.parts.push_back(PartSpec{2, rs.server.url("/dst/p2"), 2 * kMiB, kMiB});
  spec.computeMd5 = false;
  Outcome<PartsResult> out;
  uploadPresignedParts(engine, job, spec, out.callback());
  ASSERT_TRUE(out.wait());
  EXPECT_EQ(out.error().code, codes::kSourceChanged) << out.error().message;
  EXPECT_NE(out.error().message.find("ETag"), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find("/src/talk.wav"), std::string::npos) << out.error().message;
  EXPECT_EQ(out.error().message.find(kSecretSignature), std::string::npos);
  EXPECT_FALSE(out.error().retryable);
}

TEST(UrlSource, ServerIgnoringRangeFailsTypedAtANonZeroOffset) {
  RangeServer rs(pseudoRandomBytes(kMiB, 7));
  rs.ignoreRange = true;
  auto src = rs.source();
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  PutSpec spec = putSpec(rs.server.url("/dst/x"), BodyRange{src, 1000, 5000}, false);
  Outcome<PutResult> out;
  putPresigned(engine, job, spec, out.callback());
  ASSERT_TRUE(out.wait());
  EXPECT_EQ(out.error().code, codes::kSourceChanged) << out.error().message;
  EXPECT_NE(out.error().message.find("ignored the Range"), std::string::npos) << out.error().message;
}

TEST(UrlSource, A200ForTheWholeObjectIsUsedAtOffsetZero) {
  RangeServer rs(pseudoRandomBytes(kMiB + 9, 8));
  rs.ignoreRange = true;
  auto src = rs.source();
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  PutSpec spec = putSpec(rs.server.url("/dst/y"), BodyRange{src, 0, 4096}, false);
  Outcome<PutResult> out;
  putPresigned(engine, job, spec, out.callback());
  ASSERT_TRUE(out.wait());
  ASSERT_EQ(out.error().code, "") << out.error().message;
  auto puts = rs.puts();
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0].bodyMd5, md5Hex(rs.data.substr(0, 4096)));
}

TEST(UrlSource, ProbeReadsSizeAndValidatorsFromOneRangedGet) {
  RangeServer rs(pseudoRandomBytes(123457, 9));
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  UrlSpec spec;
  spec.url = rs.server.url("/src/a" + presignedQuery());
  Outcome<UrlProbe> out = probe(job, spec);
  ASSERT_TRUE(out.wait());
  ASSERT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result().size, 123457u);
  EXPECT_EQ(out.result().etag, "\"v1\"");
  EXPECT_EQ(out.result().lastModified, "Mon, 30 Nov 2026 10:00:00 GMT");
  ASSERT_EQ(rs.ranges().size(), 1u);
  EXPECT_EQ(rs.ranges()[0], "bytes=0-0");
}

TEST(UrlSource, ProbeOf404FailsTypedWithoutTheSignature) {
  RangeServer rs("abc");
  rs.fault = [](int, Reply* r) {
    r->status = 404;
    r->body = s3ErrorXml("NoSuchKey", "The specified key does not exist.", "RID");
    return true;
  };
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  UrlSpec spec;
  spec.url = rs.server.url("/src/a" + presignedQuery());
  Outcome<UrlProbe> out = probe(job, spec);
  ASSERT_TRUE(out.wait());
  EXPECT_EQ(out.error().code, codes::kHttp);
  EXPECT_EQ(out.error().httpStatus, 404);
  EXPECT_EQ(out.error().message.find(kSecretSignature), std::string::npos) << out.error().message;
}

TEST(UrlSource, CancelDuringAStalledGetSettlesPromptly) {
  RangeServer rs(pseudoRandomBytes(kMiB, 10));
  rs.fault = [](int, Reply* r) {
    r->status = 206;
    r->delayBeforeReplyMs = 8000;
    return true;
  };
  auto src = rs.source();
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  PutSpec spec = putSpec(rs.server.url("/dst/z"), wholeBody(src));
  Outcome<PutResult> out;
  putPresigned(engine, job, spec, out.callback());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t0 = Clock::now();
  job->cancel(makeError(codes::kAborted, "stop"));
  ASSERT_TRUE(out.wait(5000));
  EXPECT_EQ(out.error().code, codes::kAborted);
  EXPECT_LT(msSince(t0), 1000);
  EXPECT_TRUE(rs.puts().empty() || !rs.puts()[0].complete);
}

TEST(UrlSource, ShownUrlDropsQueryAndCredentials) {
  EXPECT_EQ(shownUrl("https://u:p@h.example/b/k.wav?X-Amz-Signature=abc"), "https://h.example/b/k.wav?\xE2\x80\xA6");
  EXPECT_EQ(shownUrl("http://h/k"), "http://h/k");
}

}  // namespace
}  // namespace uplift::testing
