// Helpers every vendor op shares (the ops themselves are bound to their specs by the binding).
#include "ops.h"

namespace uplift {

// A vendor flow sends only to URLs built from the caller's base URL (checked by the
// TypeScript layer: absolute http or https) and to URLs and ids taken from the vendor's
// answers. So when libcurl refuses a URL there (a part URL with a file:// scheme, say), the
// vendor's answer is to blame: ERR_UPLIFT_BAD_RESPONSE, not the caller's INVALID_ARGUMENT.
OpDone vendorDone(OpDone done) {
  return [done = std::move(done)](const Error& e, JsonPtr result) {
    if (e.code != codes::kInvalidArgument || e.curlCode == 0) return done(e, std::move(result));
    Error b = e;
    b.code = codes::kBadResponse;
    b.retryable = false;
    b.message = "the vendor's answer gave a URL that cannot be used (" + e.message + ")";
    done(b, nullptr);
  };
}

int clampConcurrency(int c) { return c < 1 ? 1 : (c > 64 ? 64 : c); }

}  // namespace uplift
