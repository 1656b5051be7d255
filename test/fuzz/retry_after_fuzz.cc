// Fuzz target: parseRetryAfterMs (the Retry-After header of 429/503 answers: delta seconds
// or an HTTP date, read with curl_getdate) and backoffDelayMs fed with its result.
// Input: the header value, any bytes.
// Invariants: the result is -1 or in [0, 86,400,000] for delta seconds and >= 0 for dates;
// the backoff delay stays within [0, maxDelayMs] whatever Retry-After says.
#include "fuzz_util.h"
#include "retry.h"

using namespace uplift;

namespace {
constexpr long kNow = 1767225600;  // 2026-01-01T00:00:00Z, fixed so runs are reproducible
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string value = fuzz::asString(data, size);
  long ms = parseRetryAfterMs(value, kNow);
  FUZZ_CHECK(ms >= -1);
  bool digits = !value.empty() && value.find_first_not_of("0123456789 ") == std::string::npos;
  if (digits) FUZZ_CHECK(ms <= 86400L * 1000);
  if (value.empty()) FUZZ_CHECK(ms == -1);

  // A past date never gives a negative wait, a later "now" never a longer one.
  long later = parseRetryAfterMs(value, kNow + 3600);
  if (!digits && ms >= 0) FUZZ_CHECK(later >= 0 && later <= ms);

  RetryPolicy p;
  for (int attempt = 1; attempt <= 40; attempt += 13) {
    for (double r : {0.0, 0.5, 0.999999}) {
      long d = backoffDelayMs(p, attempt, ms, r);
      FUZZ_CHECK(d >= 0 && d <= p.maxDelayMs);
      if (ms >= 0) FUZZ_CHECK(d >= std::min(ms, p.maxDelayMs));
    }
  }
  return 0;
}
