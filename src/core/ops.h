// Named operations the binding can run, as one Job on the engine's threads, ending with a
// JSON result. Each takes a typed spec (declared in vendors/*.h) that the binding read once
// from JS and bound to it (BoundOp). Vendor flows live in vendors/, one file per vendor.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine.h"
#include "json.h"
#include "source.h"

namespace uplift {

struct OpContext {
  Engine* engine = nullptr;
  std::shared_ptr<Job> job;
};

// Called once, on an engine thread; result is null when err.code is set.
using OpDone = std::function<void(const Error& err, JsonPtr result)>;

// Concurrency an op runs with: 1..64 (the TypeScript layer has checked it; this is the floor).
int clampConcurrency(int c);

// A vendor op's done wrapped as every vendor op's is: a URL libcurl refuses came from the
// vendor's answer (the caller's base URL was checked), so it is ERR_UPLIFT_BAD_RESPONSE.
OpDone vendorDone(OpDone done);

// An op bound to the typed spec the binding read once from JS: run(ctx, done).
using BoundOp = std::function<void(const OpContext& ctx, OpDone done)>;

template <class Spec>
BoundOp bindVendorOp(void (*fn)(const OpContext&, const Spec&, OpDone), Spec spec) {
  return [fn, spec = std::move(spec)](const OpContext& ctx, OpDone done) { fn(ctx, spec, vendorDone(std::move(done))); };
}

}  // namespace uplift
