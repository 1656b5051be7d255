// Body sources (source.h) and the core's MD5 (md5.h): FileSource open errors, readAt over
// ranges checked against the test suite's own MD5, change detection, MemorySource.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "md5.h"
#include "source.h"
#include "support/fixtures.h"
#include "support/md5.h"
#include "support/wait.h"

namespace uplift {
namespace {

using testing::md5Hex;
using testing::pseudoRandomBytes;
using testing::TempDir;

// MD5 of [offset, offset + length) read through readAt in `step`-byte calls.
std::string md5OfRange(Source& s, uint64_t offset, uint64_t length, size_t step) {
  uplift::Md5 md5;
  std::vector<char> buf(step);
  uint64_t pos = 0;
  while (pos < length) {
    Error err;
    size_t want = static_cast<size_t>(std::min<uint64_t>(step, length - pos));
    int64_t got = s.readAt(offset + pos, buf.data(), want, &err);
    EXPECT_GT(got, 0) << err.code << " " << err.message;
    if (got <= 0) return "";
    md5.update(buf.data(), static_cast<size_t>(got));
    pos += static_cast<uint64_t>(got);
  }
  return md5.finishHex();
}

TEST(CoreMd5, KnownVectors) {
  EXPECT_EQ(uplift::Md5::ofHex("", 0), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(uplift::Md5::ofHex("abc", 3), "900150983cd24fb0d6963f7d28e17f72");
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(uplift::Md5::ofHex(fox.data(), fox.size()), "9e107d9d372bb6826bd81d3542a419d6");
}

TEST(CoreMd5, StreamingEqualsOneShotAndResetWorks) {
  std::string data = pseudoRandomBytes(3 * 1024 * 1024 + 5);
  uplift::Md5 md5;
  for (size_t pos = 0; pos < data.size(); pos += 65537) {
    md5.update(data.data() + pos, std::min<size_t>(65537, data.size() - pos));
  }
  EXPECT_EQ(md5.finishHex(), md5Hex(data));
  md5.reset();
  md5.update("abc", 3);
  std::string raw = md5.finishRaw();
  EXPECT_EQ(raw.size(), 16u);
  EXPECT_EQ(uplift::Md5::hex(raw), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(FileSource, MissingFileIsFileNotFound) {
  TempDir dir;
  Error err;
  auto s = FileSource::open(dir.path() + "/nope.wav", &err);
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(err.code, codes::kFileNotFound);
  EXPECT_NE(err.message.find("nope.wav"), std::string::npos) << err.message;
}

TEST(FileSource, PathThroughAFileIsFileNotFound) {
  TempDir dir;
  std::string file = dir.file("a.wav", "x");
  Error err;
  EXPECT_EQ(FileSource::open(file + "/b.wav", &err), nullptr);
  EXPECT_EQ(err.code, codes::kFileNotFound);
}

TEST(FileSource, DirectoryIsNotAFile) {
  TempDir dir;
  Error err;
  EXPECT_EQ(FileSource::open(dir.path(), &err), nullptr);
  EXPECT_EQ(err.code, codes::kNotAFile);
}

TEST(FileSource, DeviceIsNotAFile) {
  Error err;
  EXPECT_EQ(FileSource::open("/dev/null", &err), nullptr);
  EXPECT_EQ(err.code, codes::kNotAFile);
}

TEST(FileSource, FifoIsNotAFileAndOpenDoesNotBlock) {
  TempDir dir;
  std::string fifo = dir.path() + "/pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Error err;
  auto start = testing::Clock::now();
  std::shared_ptr<FileSource> s;
  std::atomic<bool> returned{false};
  // Without a writer, a blocking open of a FIFO never returns; run it on a thread that a
  // writer can release if the source does block, so a failure cannot hang the suite.
  std::thread t([&] {
    s = FileSource::open(fifo, &err);
    returned.store(true, std::memory_order_release);
  });
  bool blocked = !testing::eventually(
      [&] { return returned.load(std::memory_order_acquire); }, 2000);
  if (blocked) {
    int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // releases the blocked open
    t.join();
    if (w >= 0) ::close(w);
  } else {
    t.join();
  }
  EXPECT_FALSE(blocked) << "FileSource::open blocked on a FIFO";
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(err.code, codes::kNotAFile);
  EXPECT_LT(testing::msSince(start), 5000);
}

TEST(FileSource, EmptyFile) {
  TempDir dir;
  Error err;
  auto s = FileSource::open(dir.file("empty.wav", ""), &err);
  ASSERT_NE(s, nullptr) << err.message;
  EXPECT_EQ(s->size(), 0u);
  char c;
  EXPECT_EQ(s->readAt(0, &c, 1, &err), 0);
  EXPECT_EQ(s->checkUnchanged().code, "");
}

TEST(FileSource, ReadAtRangesMatchAnIndependentMd5) {
  TempDir dir;
  const std::string data = pseudoRandomBytes(3 * 1024 * 1024 + 17, 42);
  Error err;
  auto s = FileSource::open(dir.file("audio.bin", data), &err);
  ASSERT_NE(s, nullptr) << err.message;
  EXPECT_EQ(s->size(), data.size());
  EXPECT_EQ(s->describe(), dir.path() + "/audio.bin");

  struct Range { uint64_t offset, length; size_t step; };
  const Range ranges[] = {
      {0, data.size(), 1 << 20},         // whole file in 1 MiB reads
      {0, data.size(), 65536 + 3},       // odd read size
      {1, 1000, 7},                      // tiny unaligned reads
      {1048576 - 5, 1048576 + 10, 4096}, // across MiB boundaries
      {data.size() - 17, 17, 1 << 20},   // the tail
      {12345, 0, 10},                    // empty range
  };
  for (const Range& r : ranges) {
    SCOPED_TRACE("offset " + std::to_string(r.offset) + " length " + std::to_string(r.length));
    EXPECT_EQ(md5OfRange(*s, r.offset, r.length, r.step),
              md5Hex(std::string_view(data).substr(r.offset, r.length)));
  }
}

TEST(FileSource, ReadsAreClampedAtTheEnd) {
  TempDir dir;
  const std::string data = pseudoRandomBytes(1000, 3);
  Error err;
  auto s = FileSource::open(dir.file("a.bin", data), &err);
  ASSERT_NE(s, nullptr);
  std::vector<char> buf(4096);
  EXPECT_EQ(s->readAt(990, buf.data(), buf.size(), &err), 10);
  EXPECT_EQ(std::string(buf.data(), 10), data.substr(990));
  EXPECT_EQ(s->readAt(1000, buf.data(), buf.size(), &err), 0);
  EXPECT_EQ(s->readAt(5000, buf.data(), buf.size(), &err), 0);
}

TEST(FileSource, ConcurrentReadersSeeTheSameBytes) {
  TempDir dir;
  const std::string data = pseudoRandomBytes(2 * 1024 * 1024, 9);
  Error err;
  auto s = FileSource::open(dir.file("a.bin", data), &err);
  ASSERT_NE(s, nullptr);
  const uint64_t quarter = data.size() / 4;
  std::vector<std::string> got(4);
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&, i] { got[i] = md5OfRange(*s, i * quarter, quarter, 8192 + i); });
  }
  for (auto& t : readers) t.join();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(got[i], md5Hex(std::string_view(data).substr(i * quarter, quarter))) << i;
  }
}

TEST(FileSource, DetectsAChangedModificationTime) {
  TempDir dir;
  std::string path = dir.file("a.bin", "hello");
  Error err;
  auto s = FileSource::open(path, &err);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->checkUnchanged().code, "");
  timeval times[2] = {{1000000, 0}, {1000000, 0}};  // same size, other mtime
  ASSERT_EQ(::utimes(path.c_str(), times), 0);
  Error changed = s->checkUnchanged();
  EXPECT_EQ(changed.code, codes::kSourceChanged);
  EXPECT_NE(changed.message.find("a.bin"), std::string::npos) << changed.message;
}

TEST(FileSource, DetectsAShorterFileWhileReading) {
  TempDir dir;
  std::string path = dir.file("a.bin", pseudoRandomBytes(10000));
  Error err;
  auto s = FileSource::open(path, &err);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(::truncate(path.c_str(), 100), 0);
  char buf[512];
  EXPECT_EQ(s->readAt(5000, buf, sizeof buf, &err), -1);
  EXPECT_EQ(err.code, codes::kSourceChanged);
  EXPECT_EQ(s->checkUnchanged().code, codes::kSourceChanged);
}

TEST(MemorySource, ReadsRangesAndKeepsItsBufferAlive) {
  const std::string data = pseudoRandomBytes(70000, 5);
  auto s = testing::memorySource(data);
  EXPECT_EQ(s->size(), data.size());
  EXPECT_EQ(s->describe(), "buffer");
  EXPECT_EQ(md5OfRange(*s, 0, data.size(), 4096), md5Hex(data));
  EXPECT_EQ(md5OfRange(*s, 69999, 1, 4096), md5Hex(data.substr(69999)));
  char c;
  Error err;
  EXPECT_EQ(s->readAt(data.size(), &c, 1, &err), 0);
  EXPECT_EQ(s->checkUnchanged().code, "");
}

}  // namespace
}  // namespace uplift
