// Typed operation specs: the JS spec of a typed op (declared in lib/native.ts) read once,
// field by field, into the core's struct (src/core/vendors/*.h), then bound to its flow.
// A missing or mistyped field is ERR_UPLIFT_INVALID_ARGUMENT naming it; absent optional
// fields keep the struct's defaults (from facts.h). JS thread only.
#pragma once

#include <napi.h>

#include <string>

#include "convert.h"
#include "ops.h"

namespace uplift::addon {

// The op bound to its spec, or an empty BoundOp when `op` is not typed (the JSON path runs
// it). *err is set when the op is typed but its spec cannot be read; *known tells which.
BoundOp ReadTypedOp(const std::string& op, const Napi::Object& spec, KeepAlive* keep, bool* known, Error* err);

}  // namespace uplift::addon
