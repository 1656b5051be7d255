// Conversions between JS values (already validated by the TypeScript layer) and core types.
// JS thread only.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "error.h"
#include "http.h"
#include "job.h"
#include "source.h"

namespace uplift::addon {

// Keeps JS objects (Buffers) alive for the lifetime of a job; released on the JS thread.
struct KeepAlive {
  std::vector<Napi::Reference<Napi::Value>> refs;
};

std::string GetString(const Napi::Object& o, const char* key, const std::string& dflt = "");
double GetNumber(const Napi::Object& o, const char* key, double dflt);
bool GetBool(const Napi::Object& o, const char* key, bool dflt);

Headers ToHeaders(const Napi::Value& v);
std::vector<long> ToStatuses(const Napi::Value& v);
JobOptions ToJobOptions(const Napi::Object& spec, const JobOptions& defaults);
// The bytes a typed array views (any element type; over an ArrayBuffer, a resizable or a
// SharedArrayBuffer). False when v is not a typed array.
struct TypedBytes {
  const unsigned char* data = nullptr;
  size_t length = 0;
};
bool GetTypedBytes(const Napi::Value& v, TypedBytes* out);

// source: { kind: 'path', path } | { kind: 'buffer', buffer } | { kind: 'stream', handle }.
// A buffer is copied into memory the engine owns (freed when the last job using it ends).
// nullptr with *err on failure.
std::shared_ptr<Source> ToSource(const Napi::Value& v, KeepAlive* keep, Error* err);

// Buffer sources copied and still alive (any environment): bytes and count.
struct BufferCopyStats {
  uint64_t bytes;
  uint64_t count;
};
BufferCopyStats GetBufferCopyStats();
Napi::Value JsBufferCopies(const Napi::CallbackInfo& info);  // bufferCopies() -> { bytes, count }

Napi::Object ErrorToJs(Napi::Env env, const Error& e);
Napi::Object HeadersToJs(Napi::Env env, const Headers& h);
Napi::Object ProgressToJs(Napi::Env env, const Progress& p);

}  // namespace uplift::addon
