// Cancellation: one job cancelled while others on the same thread go on, cancels during a
// stalled answer, a retry wait, a multipart upload and before the start; Engine::close()
// ending every job with ERR_UPLIFT_ENGINE_CLOSED, joining its threads and never hanging.
#include <gtest/gtest.h>

#include <string>
#include <thread>
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

Error aborted() { return makeError(codes::kAborted, "the caller aborted the upload"); }

// Replies to targets starting with /slow after `slowMs`, to the rest at once.
Handler slowPaths(int slowMs) {
  return [slowMs](const Request& head) {
    Reply r = defaultReply();
    if (head.target.rfind("/slow", 0) == 0) r.delayBeforeReplyMs = slowMs;
    return r;
  };
}

bool serverSaw(const TestServer& server, const std::string& target) {
  for (const auto& q : server.requests()) {
    if (q.target == target) return true;
  }
  return false;
}

PutSpec putSpec(const std::string& url, const std::string& data) {
  PutSpec spec;
  spec.url = url;
  spec.body = wholeBody(memorySource(data));
  return spec;
}

TEST(EngineCancel, OneJobCancelledOthersContinue) {
  TestServer server(slowPaths(10000));
  Engine engine(fastEngineOptions(1));  // one I/O thread: every job shares it
  auto slow = engine.newJob(engine.defaultJobOptions());
  Outcome<PutResult> slowOut;
  putPresigned(engine, slow, putSpec(server.url("/slow"), "abc"), slowOut.callback());
  ASSERT_TRUE(eventually([&] { return serverSaw(server, "/slow"); }));

  const std::string big = pseudoRandomBytes(3 * kMiB, 51);
  Outcome<PutResult> bigOut;
  putPresigned(engine, engine.newJob(engine.defaultJobOptions()),
               putSpec(server.url("/big"), big), bigOut.callback());
  auto cancelledAt = Clock::now();
  slow->cancel(aborted());
  ASSERT_TRUE(slowOut.wait(5000));
  EXPECT_EQ(slowOut.error().code, codes::kAborted);
  EXPECT_EQ(slowOut.error().message, "the caller aborted the upload");
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(slowOut.doneAt() - cancelledAt)
                .count(),
            2000);

  ASSERT_TRUE(bigOut.wait());
  EXPECT_EQ(bigOut.error().code, "") << bigOut.error().message;
  EXPECT_EQ(bigOut.result().md5, md5Hex(big));

  // The engine still takes new work after a cancel.
  Outcome<PutResult> after;
  putPresigned(engine, engine.newJob(engine.defaultJobOptions()),
               putSpec(server.url("/after"), "xyz"), after.callback());
  ASSERT_TRUE(after.wait());
  EXPECT_EQ(after.error().code, "") << after.error().message;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(slowOut.calls(), 1);
}

TEST(EngineCancel, CancelledBeforeItStarts) {
  TestServer server;
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  job->cancel(aborted());
  job->cancel(makeError(codes::kInternal, "a second reason loses"));
  EXPECT_TRUE(job->cancelled());
  EXPECT_EQ(job->cancelReason().code, codes::kAborted);
  Outcome<PutResult> out;
  putPresigned(engine, job, putSpec(server.url("/never"), pseudoRandomBytes(kMiB)),
               out.callback());
  ASSERT_TRUE(out.wait(5000));
  EXPECT_EQ(out.error().code, codes::kAborted);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(server.requests().empty());
}

TEST(EngineCancel, CancelDuringRetryWait) {
  TestServer server([](const Request&) { return Reply{503, {{"Retry-After", "2"}}, ""}; });
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  Outcome<PutResult> out;
  putPresigned(engine, job, putSpec(server.url("/k"), "abc"), out.callback());
  ASSERT_TRUE(eventually([&] { return server.requests().size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // now waiting to retry
  auto cancelledAt = Clock::now();
  job->cancel(aborted());
  ASSERT_TRUE(out.wait(5000));
  EXPECT_EQ(out.error().code, codes::kAborted);
  EXPECT_LT(msSince(cancelledAt), 1000);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(EngineCancel, CancelAMultipartUpload) {
  TestServer server(slowPaths(10000));
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(4 * 256 * 1024, 52);
  PartsSpec spec;
  std::string err;
  for (const auto& r : splitParts(data.size(), 256 * 1024, &err)) {
    spec.parts.push_back(
        PartSpec{r.partNumber, server.url("/slow?partNumber=" + std::to_string(r.partNumber)),
                 r.offset, r.length});
  }
  spec.source = memorySource(data);
  spec.concurrency = 2;
  auto job = engine.newJob(engine.defaultJobOptions());
  Outcome<PartsResult> out;
  uploadPresignedParts(engine, job, spec, out.callback());
  ASSERT_TRUE(eventually([&] { return server.requests().size() == 2; }));
  job->cancel(aborted());
  ASSERT_TRUE(out.wait(5000));
  EXPECT_EQ(out.error().code, codes::kAborted);
  EXPECT_TRUE(out.result().parts.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(server.requests().size(), 2u) << "no part starts after the cancel";
  EXPECT_EQ(out.calls(), 1);
}

TEST(EngineCancel, CloseEndsEveryJobJoinsThreadsAndRefusesWork) {
  TestServer server(slowPaths(20000));
  const size_t threadsBefore = threadCount();
  auto engine = std::make_unique<Engine>(fastEngineOptions(2));
  EXPECT_EQ(threadCount(), threadsBefore + 3);  // two I/O threads and the worker

  Outcome<PutResult> put1, put2;
  Outcome<FormResult> form;
  Outcome<PartsResult> parts;
  putPresigned(*engine, engine->newJob(engine->defaultJobOptions()),
               putSpec(server.url("/slow/1"), pseudoRandomBytes(kMiB, 53)), put1.callback());
  putPresigned(*engine, engine->newJob(engine->defaultJobOptions()),
               putSpec(server.url("/slow/2"), "b"), put2.callback());
  FormSpec fs;
  fs.url = server.url("/slow/form");
  fs.form.fields = {{"key", "k"}};
  fs.form.fileName = "f.wav";
  fs.form.file = wholeBody(memorySource("form file"));
  postPresignedForm(*engine, engine->newJob(engine->defaultJobOptions()), fs, form.callback());
  PartsSpec ps;
  ps.source = memorySource(pseudoRandomBytes(2 * kMiB, 54));
  ps.parts = {PartSpec{1, server.url("/slow/p1"), 0, kMiB},
              PartSpec{2, server.url("/slow/p2"), kMiB, kMiB}};
  uploadPresignedParts(*engine, engine->newJob(engine->defaultJobOptions()), ps,
                       parts.callback());
  ASSERT_TRUE(eventually([&] { return server.requests().size() == 5; }));
  const size_t threadsRunning = threadCount();

  auto start = Clock::now();
  engine->close();
  EXPECT_LT(msSince(start), 3000) << "close() must not wait for the stalled answers";
  // Every callback ran before close() returned.
  for (int calls : {put1.calls(), put2.calls(), form.calls(), parts.calls()}) EXPECT_EQ(calls, 1);
  for (const Error& e : {put1.error(), put2.error(), form.error(), parts.error()}) {
    EXPECT_EQ(e.code, codes::kEngineClosed) << e.message;
  }
  EXPECT_TRUE(engine->closed());
  // A joined thread leaves /proc shortly after join() returns: poll briefly.
  EXPECT_TRUE(eventually([&] { return threadCount() == threadsRunning - 3; }, 1000))
      << "I/O threads and the worker are joined: " << threadCount() << " vs "
      << threadsRunning - 3;

  // A closed engine refuses work without hanging.
  EXPECT_EQ(engine->newJob(engine->defaultJobOptions()), nullptr);
  EXPECT_FALSE(engine->runWork([] {}));
  engine->close();  // idempotent
  engine.reset();
  EXPECT_EQ(threadCount(), threadsRunning - 3) << "destroying a closed engine starts nothing";
}

TEST(EngineCancel, SendingOnAJobOfAClosedEngineFailsAtOnce) {
  TestServer server;
  Engine engine(fastEngineOptions());
  auto job = engine.newJob(engine.defaultJobOptions());
  engine.close();
  EXPECT_TRUE(job->cancelled());
  EXPECT_EQ(job->cancelReason().code, codes::kEngineClosed);
  Outcome<PutResult> out;
  putPresigned(engine, job, putSpec(server.url("/late"), "abc"), out.callback());
  ASSERT_TRUE(out.wait(2000));
  EXPECT_EQ(out.error().code, codes::kEngineClosed);
  EXPECT_TRUE(server.requests().empty());
}

TEST(EngineCancel, DestroyingARunningEngineEndsItsJobs) {
  TestServer server(slowPaths(20000));
  Outcome<PutResult> out;
  auto start = Clock::now();
  {
    Engine engine(fastEngineOptions());
    putPresigned(engine, engine.newJob(engine.defaultJobOptions()),
                 putSpec(server.url("/slow"), "abc"), out.callback());
    ASSERT_TRUE(eventually([&] { return server.requests().size() == 1; }));
  }
  EXPECT_EQ(out.calls(), 1);
  EXPECT_EQ(out.error().code, codes::kEngineClosed);
  EXPECT_LT(msSince(start), 5000);
}

TEST(EngineCancel, CloseWhileManyDigestsAreQueued) {
  TestServer server(slowPaths(20000));
  Engine engine(fastEngineOptions());
  const std::string data = pseudoRandomBytes(4 * kMiB, 55);
  constexpr int kJobs = 12;
  std::vector<Outcome<PutResult>> outs(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    putPresigned(engine, engine.newJob(engine.defaultJobOptions()),
                 putSpec(server.url("/slow/" + std::to_string(i)), data), outs[i].callback());
  }
  auto start = Clock::now();
  engine.close();
  EXPECT_LT(msSince(start), 5000);
  for (auto& o : outs) {
    EXPECT_EQ(o.calls(), 1);
    // A job may have finished its digest and still be sending: either way it ends closed.
    EXPECT_EQ(o.error().code, codes::kEngineClosed) << o.error().message;
  }
}

}  // namespace
}  // namespace uplift::testing
