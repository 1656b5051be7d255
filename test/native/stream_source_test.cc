// StreamSource: bounded window, holds, waiters, drain and size checks.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "stream_source.h"

namespace uplift {
namespace {

std::string bytes(size_t n, char c) { return std::string(n, c); }

TEST(StreamSource, ReadsWhatWasPushedAndWaitsForTheRest) {
  StreamSource s(10, 1024);
  EXPECT_TRUE(s.push("abcd", 4));
  char buf[16];
  Error err;
  EXPECT_EQ(s.readAt(0, buf, 16, &err), 4);
  EXPECT_EQ(std::string(buf, 4), "abcd");
  EXPECT_EQ(s.readAt(4, buf, 16, &err), StreamSource::kWouldBlock);
  int woken = 0;
  s.waitForData(4, [&] { ++woken; });
  EXPECT_EQ(woken, 0);
  s.push("efghij", 6);
  EXPECT_EQ(woken, 1);
  // The last promised byte waits for end(): a longer stream must fail before any body ends.
  EXPECT_EQ(s.readAt(2, buf, 16, &err), 7);
  EXPECT_EQ(s.readAt(9, buf, 16, &err), StreamSource::kWouldBlock);
  s.end();
  EXPECT_EQ(s.readAt(2, buf, 16, &err), 8);
  EXPECT_EQ(std::string(buf, 8), "cdefghij");
  EXPECT_EQ(s.readAt(10, buf, 16, &err), 0);
}

TEST(StreamSource, PushSaysFalseOverTheBoundAndDrainFiresWhenHoldsRelease) {
  StreamSource s(1 << 20, 64 * 1024);
  std::atomic<int> drains{0};
  s.setOnDrain([&] { ++drains; });
  int hold = s.addHold(0);
  std::string chunk = bytes(16 * 1024, 'x');
  int accepted = 0;
  while (s.push(chunk.data(), chunk.size())) ++accepted;
  EXPECT_EQ(accepted, 3);  // the 4th push reaches 64 KiB
  EXPECT_EQ(s.bufferedBytes(), 64u * 1024);
  s.moveHold(hold, 16 * 1024);
  EXPECT_EQ(drains.load(), 0);  // 48 KiB left: not yet under half the bound
  s.moveHold(hold, 48 * 1024);
  EXPECT_EQ(drains.load(), 1);
  EXPECT_EQ(s.bufferedBytes(), 16u * 1024);
  EXPECT_LE(s.highWaterBytes(), 64u * 1024);
}

TEST(StreamSource, ReleasedBytesCannotBeReadAgain) {
  StreamSource s(100, 1024);
  int hold = s.addHold(0);
  s.push(bytes(100, 'a').data(), 100);
  s.moveHold(hold, 60);
  char buf[10];
  Error err;
  EXPECT_EQ(s.readAt(10, buf, 10, &err), -1);
  EXPECT_EQ(err.code, codes::kSourceChanged);
  EXPECT_EQ(s.readAt(60, buf, 10, &err), 10);
}

TEST(StreamSource, TheLowestHoldWins) {
  StreamSource s(100, 1024);
  int a = s.addHold(0);
  int b = s.addHold(0);
  s.push(bytes(100, 'a').data(), 100);
  s.moveHold(a, 90);
  EXPECT_EQ(s.bufferedBytes(), 100u);
  s.moveHold(b, 50);
  EXPECT_EQ(s.bufferedBytes(), 50u);
  s.removeHold(b);
  EXPECT_EQ(s.bufferedBytes(), 10u);
}

TEST(StreamSource, SizeMismatchesAndProducerFailuresReachReaders) {
  char buf[8];
  Error err;
  StreamSource shortStream(10, 1024);
  shortStream.push("abc", 3);
  shortStream.end();
  EXPECT_EQ(shortStream.readAt(3, buf, 8, &err), -1);
  EXPECT_EQ(err.code, codes::kSizeMismatch);

  StreamSource longStream(2, 1024);
  longStream.push("abc", 3);
  err = Error();
  EXPECT_EQ(longStream.readAt(0, buf, 8, &err), -1);
  EXPECT_EQ(err.code, codes::kSizeMismatch);

  StreamSource failing(10, 1024);
  int woken = 0;
  failing.waitForData(0, [&] { ++woken; });
  failing.fail(makeError(codes::kFileNotReadable, "gone"));
  EXPECT_EQ(woken, 1);
  err = Error();
  EXPECT_EQ(failing.readAt(0, buf, 8, &err), -1);
  EXPECT_EQ(err.code, codes::kFileNotReadable);
}

TEST(StreamSource, RaiseBoundLetsAPausedProducerGoOn) {
  StreamSource s(1 << 20, 64 * 1024);
  int drains = 0;
  s.setOnDrain([&] { ++drains; });
  std::string chunk = bytes(64 * 1024, 'z');
  EXPECT_FALSE(s.push(chunk.data(), chunk.size()));
  s.raiseBound(256 * 1024);
  EXPECT_EQ(drains, 1);
  EXPECT_TRUE(s.push(chunk.data(), chunk.size()));
}

}  // namespace
}  // namespace uplift
