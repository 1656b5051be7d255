// Named operations the binding can run: each takes a JSON spec (validated by the TypeScript
// layer) plus the byte sources it names, runs as one Job on the engine's threads, and ends
// with a JSON result. Vendor flows live in vendors/, one file per vendor.
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

}  // namespace uplift
