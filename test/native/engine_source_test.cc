// Files that change while they are uploaded: the engine must end with
// ERR_UPLIFT_SOURCE_CHANGED instead of reporting success for bytes that no longer exist.
#include <gtest/gtest.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "primitives.h"
#include "support/fixtures.h"
#include "support/md5.h"
#include "support/test_server.h"
#include "support/wait.h"

namespace uplift::testing {
namespace {

constexpr size_t kMiB = 1024 * 1024;

// The server's handler runs when the request head arrives, i.e. while the upload is under
// way; `change` alters the file at that moment.
template <class Change>
Outcome<PutResult> putWhileChanging(const std::string& path, Change change, int maxAttempts) {
  Error err;
  auto source = FileSource::open(path, &err);
  EXPECT_NE(source, nullptr) << err.message;
  TestServer server([&](const Request&) {
    change();
    return defaultReply();
  });
  Engine engine(fastEngineOptions());
  JobOptions jo = engine.defaultJobOptions();
  jo.retry.maxAttempts = maxAttempts;
  PutSpec spec;
  spec.url = server.url("/changing");
  spec.body = wholeBody(source);
  Outcome<PutResult> out;
  putPresigned(engine, engine.newJob(jo), spec, out.callback());
  EXPECT_TRUE(out.wait());
  return out;
}

TEST(EngineSource, ModificationTimeChangedDuringUpload) {
  TempDir dir;
  std::string path = dir.file("rec.wav", pseudoRandomBytes(kMiB, 21));
  auto out = putWhileChanging(
      path,
      [&] {
        timeval times[2] = {{1000000, 0}, {1000000, 0}};  // same size, another mtime
        ::utimes(path.c_str(), times);
      },
      3);
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kSourceChanged) << e.message;
  EXPECT_NE(e.message.find("rec.wav"), std::string::npos) << e.message;
}

TEST(EngineSource, FileTruncatedDuringUpload) {
  TempDir dir;
  std::string path = dir.file("rec.wav", pseudoRandomBytes(4 * kMiB, 22));
  auto out = putWhileChanging(path, [&] { ::truncate(path.c_str(), 1000); }, 3);
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kSourceChanged) << e.message;
  EXPECT_EQ(e.attempts <= 1, true) << "a changed source is not retried: " << e.attempts;
}

TEST(EngineSource, FileGrownDuringUpload) {
  TempDir dir;
  const std::string data = pseudoRandomBytes(kMiB, 23);
  std::string path = dir.file("rec.wav", data);
  auto out = putWhileChanging(
      path, [&] { writeFile(path, data + "more bytes written by a recorder"); }, 3);
  EXPECT_EQ(out.error().code, codes::kSourceChanged) << out.error().message;
}

TEST(EngineSource, UnchangedFileSucceeds) {
  TempDir dir;
  const std::string data = pseudoRandomBytes(kMiB, 24);
  std::string path = dir.file("rec.wav", data);
  auto out = putWhileChanging(path, [] {}, 3);
  ASSERT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result().md5, md5Hex(data));
}

}  // namespace
}  // namespace uplift::testing
