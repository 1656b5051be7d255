// Pure part arithmetic (parts_math.h): partCount, splitParts and choosePartSize, including
// empty files and the 10,000-part cap of S3.
#include <gtest/gtest.h>

#include <string>

#include "parts_math.h"

namespace uplift {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kGiB = 1024 * kMiB;

// Checks that ranges are numbered 1..n, contiguous from 0, cover `size` exactly and that only
// the last one is shorter than partSize.
void expectTiling(const std::vector<PartRange>& parts, uint64_t size, uint64_t partSize) {
  ASSERT_FALSE(parts.empty());
  uint64_t next = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    SCOPED_TRACE("part index " + std::to_string(i));
    EXPECT_EQ(parts[i].partNumber, static_cast<int>(i + 1));
    EXPECT_EQ(parts[i].offset, next);
    if (i + 1 < parts.size()) {
      EXPECT_EQ(parts[i].length, partSize);
    } else {
      EXPECT_LE(parts[i].length, partSize);
    }
    next += parts[i].length;
  }
  EXPECT_EQ(next, size);
}

TEST(PartCount, RoundsUp) {
  EXPECT_EQ(partCount(10, 5), 2u);
  EXPECT_EQ(partCount(11, 5), 3u);
  EXPECT_EQ(partCount(4, 5), 1u);
  EXPECT_EQ(partCount(1, 1), 1u);
  EXPECT_EQ(partCount(5 * kGiB, 5 * kMiB), 1024u);
  EXPECT_EQ(partCount(5 * kGiB + 1, 5 * kMiB), 1025u);
}

TEST(PartCount, EmptyFileIsOnePart) { EXPECT_EQ(partCount(0, 5 * kMiB), 1u); }

TEST(PartCount, ZeroPartSizeGivesZero) { EXPECT_EQ(partCount(100, 0), 0u); }

TEST(SplitParts, ExactMultiple) {
  std::string err;
  auto parts = splitParts(30 * kMiB, 10 * kMiB, &err);
  EXPECT_EQ(err, "");
  ASSERT_EQ(parts.size(), 3u);
  expectTiling(parts, 30 * kMiB, 10 * kMiB);
  EXPECT_EQ(parts[2].offset, 20 * kMiB);
  EXPECT_EQ(parts[2].length, 10 * kMiB);
}

TEST(SplitParts, ShortLastPart) {
  std::string err;
  auto parts = splitParts(25 * kMiB + 3, 10 * kMiB, &err);
  EXPECT_EQ(err, "");
  ASSERT_EQ(parts.size(), 3u);
  expectTiling(parts, 25 * kMiB + 3, 10 * kMiB);
  EXPECT_EQ(parts[2].length, 5 * kMiB + 3);
}

TEST(SplitParts, SmallerThanOnePart) {
  std::string err;
  auto parts = splitParts(7, 10 * kMiB, &err);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].partNumber, 1);
  EXPECT_EQ(parts[0].offset, 0u);
  EXPECT_EQ(parts[0].length, 7u);
}

TEST(SplitParts, EmptyFileIsOneEmptyPart) {
  std::string err;
  auto parts = splitParts(0, 5 * kMiB, &err);
  EXPECT_EQ(err, "");
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].partNumber, 1);
  EXPECT_EQ(parts[0].offset, 0u);
  EXPECT_EQ(parts[0].length, 0u);
}

TEST(SplitParts, ZeroPartSizeIsAnError) {
  std::string err;
  auto parts = splitParts(100, 0, &err);
  EXPECT_TRUE(parts.empty());
  EXPECT_NE(err, "");
}

TEST(SplitParts, ExactlyTenThousandPartsIsAllowed) {
  std::string err;
  auto parts = splitParts(10000 * 1024, 1024, &err);
  EXPECT_EQ(err, "");
  ASSERT_EQ(parts.size(), 10000u);
  expectTiling(parts, 10000 * 1024, 1024);
  EXPECT_EQ(parts.back().partNumber, 10000);
}

TEST(SplitParts, OneByteOverTheCapIsRefused) {
  std::string err;
  auto parts = splitParts(10000 * 1024 + 1, 1024, &err);
  EXPECT_TRUE(parts.empty());
  EXPECT_NE(err.find("10001"), std::string::npos) << err;
  EXPECT_NE(err.find("10000"), std::string::npos) << err;
}

TEST(ChoosePartSize, SmallFilesGetTheMinimum) {
  EXPECT_EQ(choosePartSize(0, 5 * kMiB, kMiB), 5 * kMiB);
  EXPECT_EQ(choosePartSize(1, 5 * kMiB, kMiB), 5 * kMiB);
  EXPECT_EQ(choosePartSize(100 * kMiB, 5 * kMiB, kMiB), 5 * kMiB);
  // 10,000 parts of the minimum fit exactly: no need to grow.
  EXPECT_EQ(choosePartSize(10000 * 5 * kMiB, 5 * kMiB, kMiB), 5 * kMiB);
}

TEST(ChoosePartSize, GrowsPastTheCapAndStaysAligned) {
  uint64_t size = 10000 * 5 * kMiB + 1;  // one byte too many for 5 MiB parts
  uint64_t part = choosePartSize(size, 5 * kMiB, kMiB);
  EXPECT_EQ(part, 6 * kMiB);  // next multiple of the alignment
  EXPECT_LE(partCount(size, part), kMaxParts);
}

TEST(ChoosePartSize, LargeFilesStayWithinTenThousandParts) {
  for (uint64_t size : {48 * kGiB + 7, 200 * kGiB, 5000 * kGiB}) {
    SCOPED_TRACE(size);
    uint64_t part = choosePartSize(size, 5 * kMiB, kMiB);
    EXPECT_EQ(part % kMiB, 0u);
    EXPECT_GE(part, 5 * kMiB);
    EXPECT_LE(partCount(size, part), kMaxParts);
    // Smallest such size: one alignment step less would need too many parts (or go below
    // the minimum).
    if (part - kMiB >= 5 * kMiB) {
      EXPECT_GT(partCount(size, part - kMiB), kMaxParts);
    }
    std::string err;
    auto parts = splitParts(size, part, &err);
    EXPECT_EQ(err, "");
    EXPECT_EQ(parts.size(), partCount(size, part));
  }
}

TEST(ChoosePartSize, HonoursACustomCapAndAlignment) {
  // 1,000,000 bytes in at most 10 parts, 4 KiB aligned: 100,000 rounds up to 102,400.
  EXPECT_EQ(choosePartSize(1000000, 1, 4096, 10), 102400u);
  EXPECT_EQ(partCount(1000000, 102400), 10u);
  // Alignment 0 is treated as 1.
  EXPECT_EQ(choosePartSize(1001, 1, 0, 10), 101u);
}

}  // namespace
}  // namespace uplift
