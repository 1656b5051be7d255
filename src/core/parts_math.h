// Pure part arithmetic for multipart uploads (S3 rules: parts numbered 1..10000).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace uplift {

inline constexpr uint64_t kMaxParts = 10000;

struct PartRange {
  int partNumber;
  uint64_t offset;
  uint64_t length;
};

// Number of parts of partSize needed for size bytes (at least 1, so an empty file is one
// empty part). partSize must be > 0.
uint64_t partCount(uint64_t size, uint64_t partSize);

// Ranges for parts 1..partCount(size, partSize). Empty with *err when partSize is 0 or the
// count would exceed kMaxParts.
std::vector<PartRange> splitParts(uint64_t size, uint64_t partSize, std::string* err);

// Smallest part size, a multiple of `align`, that keeps size within maxParts parts and is at
// least minPart.
uint64_t choosePartSize(uint64_t size, uint64_t minPart, uint64_t align,
                        uint64_t maxParts = kMaxParts);

}  // namespace uplift
