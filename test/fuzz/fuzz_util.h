// Helpers shared by the libFuzzer targets in this folder: input splitting and invariant
// checks. A broken invariant aborts, so libFuzzer reports it and saves the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "error.h"
#include "json.h"

namespace uplift::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  std::abort();
}

#define FUZZ_CHECK(cond)                                       \
  do {                                                         \
    if (!(cond)) ::uplift::fuzz::fail(__FILE__, __LINE__, #cond); \
  } while (0)

inline std::string asString(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Splits `in` at its first '\n': *head gets the text before it, *rest the text after it
// (no '\n': *head = in, *rest = "").
inline void splitFirstLine(const std::string& in, std::string* head, std::string* rest) {
  size_t nl = in.find('\n');
  *head = in.substr(0, nl);
  *rest = nl == std::string::npos ? std::string() : in.substr(nl + 1);
}

// Leading decimal digits of s as a uint64 (saturating at UINT64_MAX); 0 when none.
inline uint64_t leadingUint64(const std::string& s) {
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return UINT64_MAX;
    v = v * 10 + d;
  }
  return v;
}

// Parses a vendor answer the way callJson does: only JSON objects reach the readers.
inline bool parseAnswer(const std::string& text, Json* doc) {
  std::string why;
  return parseJson(text, doc, &why) && doc->IsObject();
}

// A reader's error: ERR_UPLIFT_BAD_RESPONSE (or `alt`) with a message that names the vendor.
inline bool isReaderError(const Error& e, const char* vendor, const char* alt = nullptr) {
  bool code = e.code == codes::kBadResponse || (alt && e.code == alt);
  return code && e.message.find(vendor) == 0;
}

}  // namespace uplift::fuzz
