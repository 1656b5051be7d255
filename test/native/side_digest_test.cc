// SideDigest: the MD5 taken beside a transfer and the join of the two sides. Its rules hold
// for every flow that uses it: a stream's bytes stay held while the digest and the request
// are started; a failed transfer stops the digest and its error is reported; a source that
// fails cancels the job and its error wins; done runs once, after both sides ended.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "side_digest.h"
#include "stream_source.h"
#include "support/fixtures.h"
#include "support/md5.h"
#include "support/wait.h"

namespace uplift::testing {
namespace {

SideDigest::Done adapt(Outcome<std::string>& out) {
  auto cb = out.callback();
  return [cb](const Error& e, const std::string& md5) {
    std::string m = md5;
    cb(e, m);
  };
}

TEST(SideDigest, HoldsAStreamsBytesUntilTheSendStepHasHandedThemToTheEngine) {
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  const std::string data = pseudoRandomBytes(1000);
  auto s = std::make_shared<StreamSource>(data.size(), 4096);
  auto d = SideDigest::make(engine, job, BodyRange{s, 0, data.size()}, true);
  int64_t readInSend = 0;
  Error readErr;
  d->start([&] {
    // The digest, on the worker thread, hashes these bytes while send() has not yet handed
    // its request over: they must still be readable by the request that sends them.
    s->push(data.data(), 600);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    char buf[10];
    readInSend = s->readAt(0, buf, sizeof buf, &readErr);
  });
  EXPECT_EQ(readInSend, 10) << readErr.message;
  s->push(data.data() + 600, data.size() - 600);
  s->end();
  Outcome<std::string> out;
  d->transferEnded(Error(), adapt(out));
  ASSERT_TRUE(out.wait());
  EXPECT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result(), md5Hex(data));
  EXPECT_FALSE(d->sourceFailed());
}

TEST(SideDigest, AFailedTransferStopsADigestParkedOnTheStreamAndItsErrorIsReported) {
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  auto s = std::make_shared<StreamSource>(1 << 20, 1 << 20);
  auto d = SideDigest::make(engine, job, BodyRange{s, 0, s->size()}, true);
  d->start(nullptr);
  s->push("abc", 3);  // the digest hashes these, then waits for bytes that never come
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Outcome<std::string> out;
  auto at = Clock::now();
  d->transferEnded(makeError(codes::kHttp, "the PUT got 403"), adapt(out));
  ASSERT_TRUE(out.wait(5000));
  EXPECT_LT(msSince(at), 2000);
  EXPECT_EQ(out.error().code, codes::kHttp);
  EXPECT_EQ(out.error().message, "the PUT got 403");
  EXPECT_EQ(out.result(), "");
  EXPECT_FALSE(d->sourceFailed());
  // The job is not cancelled: a flow may go on with it (presign again and re-send).
  EXPECT_FALSE(job->cancelled());
}

TEST(SideDigest, ASourceThatFailsCancelsTheJobAndItsErrorWins) {
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  auto s = std::make_shared<StreamSource>(100, 4096);
  auto d = SideDigest::make(engine, job, BodyRange{s, 0, s->size()}, false);  // end check only
  d->start(nullptr);
  s->push("abc", 3);
  s->fail(makeError(codes::kFileNotReadable, "the producer failed: disk gone"));
  ASSERT_TRUE(eventually([&] { return job->cancelled(); }));
  EXPECT_EQ(job->cancelReason().message, "the producer failed: disk gone");
  Outcome<std::string> out;
  // The transfer then ends with whatever the cancel gave it; the source's error is the cause.
  d->transferEnded(job->cancelReason(), adapt(out));
  ASSERT_TRUE(out.wait(5000));
  EXPECT_EQ(out.error().code, codes::kFileNotReadable);
  EXPECT_EQ(out.error().message, "the producer failed: disk gone");
  EXPECT_TRUE(d->sourceFailed());
}

TEST(SideDigest, DoneWaitsForTheDigestAndRunsOnce) {
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  const std::string data = pseudoRandomBytes(300 * 1024);
  auto s = std::make_shared<StreamSource>(data.size(), 1 << 20);
  auto d = SideDigest::make(engine, job, BodyRange{s, 0, data.size()}, true);
  d->start(nullptr);
  Outcome<std::string> out;
  d->transferEnded(Error(), adapt(out));  // the transfer is done; the digest is not
  EXPECT_FALSE(out.wait(100));
  s->push(data.data(), data.size());
  s->end();
  ASSERT_TRUE(out.wait());
  EXPECT_EQ(out.result(), md5Hex(data));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(out.calls(), 1);
}

TEST(SideDigest, FilesEmptyBodiesAndNoHash) {
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(70 * 1024);
  auto mem = memorySource(data);
  int sent = 0;

  auto hashed = SideDigest::make(engine, engine.newJob(engine.defaultJobOptions()), wholeBody(mem), true);
  hashed->start([&] { ++sent; });
  Outcome<std::string> a;
  hashed->transferEnded(Error(), adapt(a));
  ASSERT_TRUE(a.wait());
  EXPECT_EQ(a.result(), md5Hex(data));

  // No MD5 wanted and not a stream: nothing to read, done as soon as the transfer is.
  auto none = SideDigest::make(engine, engine.newJob(engine.defaultJobOptions()), wholeBody(mem), false);
  none->start([&] { ++sent; });
  Outcome<std::string> b;
  none->transferEnded(Error(), adapt(b));
  ASSERT_TRUE(b.wait(1000));
  EXPECT_EQ(b.result(), "");

  // No source: the empty body's MD5.
  auto empty = SideDigest::make(engine, engine.newJob(engine.defaultJobOptions()), BodyRange{}, true);
  empty->start([&] { ++sent; });
  Outcome<std::string> c;
  empty->transferEnded(Error(), adapt(c));
  ASSERT_TRUE(c.wait(1000));
  EXPECT_EQ(c.result(), md5Hex(""));
  EXPECT_EQ(sent, 3);
}

}  // namespace
}  // namespace uplift::testing
