// Part arithmetic.
#include "parts_math.h"

namespace uplift {

uint64_t partCount(uint64_t size, uint64_t partSize) {
  if (partSize == 0) return 0;
  if (size == 0) return 1;
  return size / partSize + (size % partSize ? 1 : 0);
}

std::vector<PartRange> splitParts(uint64_t size, uint64_t partSize, std::string* err) {
  std::vector<PartRange> out;
  if (partSize == 0) {
    *err = "part size must be greater than 0";
    return out;
  }
  uint64_t n = partCount(size, partSize);
  if (n > kMaxParts) {
    *err = std::to_string(size) + " bytes in parts of " + std::to_string(partSize) +
           " bytes makes " + std::to_string(n) + " parts; the limit is 10000";
    return out;
  }
  out.reserve(static_cast<size_t>(n));
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t off = i * partSize;
    uint64_t len = size - off < partSize ? size - off : partSize;
    out.push_back(PartRange{static_cast<int>(i + 1), off, len});
  }
  return out;
}

uint64_t choosePartSize(uint64_t size, uint64_t minPart, uint64_t align, uint64_t maxParts) {
  if (align == 0) align = 1;
  uint64_t need = size / maxParts + (size % maxParts ? 1 : 0);
  uint64_t part = need > minPart ? need : minPart;
  if (part % align) part += align - part % align;
  return part;
}

}  // namespace uplift
