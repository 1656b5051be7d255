// Conversions between JS values (already validated by the TypeScript layer) and core types.
// JS thread only.
#pragma once

#include <napi.h>

#include <memory>
#include <shared_mutex>
#include <vector>
#include <string>

#include "error.h"
#include "http.h"
#include "job.h"
#include "source.h"

namespace uplift::addon {

// A Buffer/Uint8Array source copied into memory the engine owns when the upload starts, so
// that JS cannot transfer, shrink or rewrite it under the engine. The job frees it when it
// ends (release(), before its promise settles); a read after that fails instead of touching
// freed memory. Large copies are advised onto transparent huge pages (far fewer page faults).
class CopiedSource final : public Source {
 public:
  // nullptr when the memory cannot be had.
  static std::shared_ptr<CopiedSource> Copy(const unsigned char* data, size_t n);
  ~CopiedSource() override;
  uint64_t size() const override { return size_; }
  int64_t readAt(uint64_t offset, void* buf, size_t n, Error* err) override;
  std::string describe() const override { return "buffer"; }
  void release();  // any thread, idempotent

 private:
  CopiedSource(unsigned char* data, size_t n, bool mapped) : data_(data), size_(n), mapped_(mapped) {}
  void freeLocked();
  mutable std::shared_mutex mu_;
  unsigned char* data_;
  const uint64_t size_;
  bool mapped_;
  bool released_ = false;
};

// Keeps what a job needs for its lifetime: JS objects (released on the JS thread) and the
// copies of its Buffer sources (released when the job ends).
struct KeepAlive {
  std::vector<Napi::Reference<Napi::Value>> refs;
  std::vector<std::shared_ptr<CopiedSource>> copies;
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
// A {kind:'url'} source (url.cc).
std::shared_ptr<Source> ToUrlSource(const Napi::Object& o, Error* err);

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
