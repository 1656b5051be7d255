// Named operations the binding can run, as one Job on the engine's threads, ending with a
// JSON result. Typed ops (Plaud, Scripe, Heify) take a struct the binding read once (BoundOp); the others
// still take a JSON spec (validated by the TypeScript layer) plus the byte sources it names.
// Vendor flows live in vendors/, one file per vendor.
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
  JsonPtr spec;                                  // never null
  std::vector<std::shared_ptr<Source>> sources;  // spec refers to them as {"$source": i}
};

// Called once, on an engine thread; result is null when err.code is set.
using OpDone = std::function<void(const Error& err, JsonPtr result)>;
using OpFn = void (*)(const OpContext& ctx, OpDone done);

// The operation registered under name, or nullptr.
OpFn findOp(const std::string& name);

// The source a spec member refers to ({"$source": i}); nullptr with *err when invalid.
std::shared_ptr<Source> sourceAt(const OpContext& ctx, const rapidjson::Value& ref, Error* err);

// Reads retry/timeouts-free spec helpers shared by ops.
int concurrencyOf(const rapidjson::Value& spec, int dflt);
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
