// JS <-> core conversions.
#include "convert.h"

#include <curl/curl.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include "addon_data.h"
#include "control.h"
#include "stream_wrap.h"

namespace uplift::addon {

std::string GetString(const Napi::Object& o, const char* key, const std::string& dflt) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : dflt;
}

double GetNumber(const Napi::Object& o, const char* key, double dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : dflt;
}

bool GetBool(const Napi::Object& o, const char* key, bool dflt) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : dflt;
}

Headers ToHeaders(const Napi::Value& v) {
  Headers out;
  if (!v.IsArray()) return out;
  Napi::Array arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value pair = arr.Get(i);
    if (!pair.IsArray()) continue;
    Napi::Array p = pair.As<Napi::Array>();
    out.emplace_back(p.Get(0u).ToString().Utf8Value(), p.Get(1u).ToString().Utf8Value());
  }
  return out;
}

std::vector<long> ToStatuses(const Napi::Value& v) {
  std::vector<long> out;
  if (!v.IsArray()) return out;
  Napi::Array arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    out.push_back(static_cast<long>(arr.Get(i).ToNumber().Int64Value()));
  }
  return out;
}

JobOptions ToJobOptions(const Napi::Object& spec, const JobOptions& defaults) {
  JobOptions o = defaults;
  Napi::Value r = spec.Get("retry");
  if (r.IsObject()) {
    Napi::Object ro = r.As<Napi::Object>();
    o.retry.maxAttempts = static_cast<int>(GetNumber(ro, "maxAttempts", o.retry.maxAttempts));
    o.retry.baseDelayMs = static_cast<long>(GetNumber(ro, "baseDelayMs", o.retry.baseDelayMs));
    o.retry.maxDelayMs = static_cast<long>(GetNumber(ro, "maxDelayMs", o.retry.maxDelayMs));
    o.retry.maxElapsedMs = static_cast<long>(GetNumber(ro, "maxElapsedMs", o.retry.maxElapsedMs));
  }
  // proxy: { http, https, noProxy } decided by the TypeScript layer ('' = direct).
  Napi::Value px = spec.Get("proxy");
  if (px.IsObject()) {
    Napi::Object po = px.As<Napi::Object>();
    o.proxy.http = GetString(po, "http");
    o.proxy.https = GetString(po, "https");
    o.proxy.noProxy = GetString(po, "noProxy");
  }
  double cap = GetNumber(spec, "maxBytesPerSecond", static_cast<double>(o.maxBytesPerSecond));
  o.maxBytesPerSecond = cap > 0 ? static_cast<uint64_t>(cap) : 0;
  if (std::shared_ptr<UploadControl> c = ToControl(spec.Get("control"))) o.control = std::move(c);
  Napi::Value t = spec.Get("timeouts");
  if (t.IsObject()) {
    Napi::Object to = t.As<Napi::Object>();
    o.timeouts.connectMs = static_cast<long>(GetNumber(to, "connectMs", o.timeouts.connectMs));
    o.timeouts.stallMs = static_cast<long>(GetNumber(to, "stallMs", o.timeouts.stallMs));
    o.timeouts.overallMs = static_cast<long>(GetNumber(to, "overallMs", o.timeouts.overallMs));
    o.timeouts.responseMs = static_cast<long>(GetNumber(to, "responseMs", o.timeouts.responseMs));
  }
  o.progressIntervalMs =
      static_cast<long>(GetNumber(spec, "progressIntervalMs", o.progressIntervalMs));
  return o;
}

namespace {
std::atomic<uint64_t> gCopyBytes{0};
std::atomic<uint64_t> gCopyCount{0};
constexpr size_t kHugePage = 2u << 20;
}  // namespace

std::shared_ptr<CopiedSource> CopiedSource::Copy(const unsigned char* data, size_t n) {
  unsigned char* mem = nullptr;
  bool mapped = false;
#ifdef __linux__
  if (n >= kHugePage) {
    void* m = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) {
      madvise(m, n, MADV_HUGEPAGE);  // advice only: ignored where huge pages are off
      mem = static_cast<unsigned char*>(m);
      mapped = true;
    }
  }
#endif
  if (mem == nullptr && n > 0) {
    mem = static_cast<unsigned char*>(std::malloc(n));
    if (mem == nullptr) return nullptr;
  }
  if (n > 0) std::memcpy(mem, data, n);
  gCopyBytes.fetch_add(n, std::memory_order_relaxed);
  gCopyCount.fetch_add(1, std::memory_order_relaxed);
  return std::shared_ptr<CopiedSource>(new CopiedSource(mem, n, mapped));
}

CopiedSource::~CopiedSource() {
  std::unique_lock<std::shared_mutex> lock(mu_);
  freeLocked();
}

void CopiedSource::release() {
  std::unique_lock<std::shared_mutex> lock(mu_);
  freeLocked();
}

void CopiedSource::freeLocked() {
  if (released_) return;
  released_ = true;
#ifdef __linux__
  if (mapped_) {
    munmap(data_, size_);
  } else {
    std::free(data_);
  }
#else
  std::free(data_);
#endif
  data_ = nullptr;
  gCopyBytes.fetch_sub(size_, std::memory_order_relaxed);
  gCopyCount.fetch_sub(1, std::memory_order_relaxed);
}

int64_t CopiedSource::readAt(uint64_t offset, void* buf, size_t n, Error* err) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (released_) {
    if (err) *err = makeError(codes::kAborted, "the upload already ended");
    return -1;
  }
  if (offset >= size_) return 0;
  if (n > size_ - offset) n = static_cast<size_t>(size_ - offset);
  std::memcpy(buf, data_ + offset, n);
  return static_cast<int64_t>(n);
}

bool GetTypedBytes(const Napi::Value& v, TypedBytes* out) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  // The data pointer straight from the typed array: works for an ArrayBuffer, a resizable
  // one and a SharedArrayBuffer alike (a detached buffer has length 0).
  if (napi_get_typedarray_info(v.Env(), v, &type, &length, &data, nullptr, nullptr) != napi_ok) return false;
  size_t unit = 1;
  switch (type) {
    case napi_int16_array: case napi_uint16_array: unit = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: unit = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: unit = 8; break;
    default: unit = 1;
  }
  out->data = static_cast<const unsigned char*>(data);
  out->length = length * unit;
  if (out->data == nullptr) out->length = 0;
  return true;
}

BufferCopyStats GetBufferCopyStats() {
  return BufferCopyStats{gCopyBytes.load(std::memory_order_relaxed), gCopyCount.load(std::memory_order_relaxed)};
}

Napi::Value JsBufferCopies(const Napi::CallbackInfo& info) {
  BufferCopyStats s = GetBufferCopyStats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("bytes", Napi::Number::New(info.Env(), static_cast<double>(s.bytes)));
  o.Set("count", Napi::Number::New(info.Env(), static_cast<double>(s.count)));
  return o;
}

std::shared_ptr<Source> ToSource(const Napi::Value& v, KeepAlive* keep, Error* err) {
  if (!v.IsObject()) {
    *err = makeError(codes::kInvalidArgument, "source is missing");
    return nullptr;
  }
  Napi::Object o = v.As<Napi::Object>();
  std::string kind = GetString(o, "kind");
  if (kind == "path") return FileSource::open(GetString(o, "path"), err);
  if (kind == "buffer") {
    Napi::Value b = o.Get("buffer");
    TypedBytes bytes;
    if (!b.IsTypedArray() || !GetTypedBytes(b, &bytes)) {
      *err = makeError(codes::kInvalidArgument, "source.buffer must be a Buffer or Uint8Array");
      return nullptr;
    }
    // Copied now: JS may transfer, shrink or rewrite its buffer while the job runs, so the
    // engine reads (and hashes) bytes it owns. The job frees the copy when it ends.
    std::shared_ptr<CopiedSource> copy = CopiedSource::Copy(bytes.data, bytes.length);
    if (!copy) {
      *err = makeError(codes::kTooLarge, "not enough memory to copy the source buffer (" +
                                             std::to_string(bytes.length) +
                                             " bytes); pass a file path or a stream instead");
      return nullptr;
    }
    keep->copies.push_back(copy);
    return copy;
  }
  if (kind == "url") return ToUrlSource(o, err);
  if (kind == "stream") {
    Napi::Value h = o.Get("handle");
    auto* data = v.Env().GetInstanceData<AddonData>();
    if (h.IsObject() && data && !data->streamCtor.IsEmpty() &&
        h.As<Napi::Object>().InstanceOf(data->streamCtor.Value())) {
      return StreamWrap::Unwrap(h.As<Napi::Object>())->source();
    }
    *err = makeError(codes::kInvalidArgument, "source.handle must be a native Stream");
    return nullptr;
  }
  *err = makeError(codes::kInvalidArgument, "unknown source kind '" + kind + "'");
  return nullptr;
}

Napi::Object ErrorToJs(Napi::Env env, const Error& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("code", e.code.empty() ? std::string(codes::kInternal) : e.code);
  o.Set("message", e.message);
  if (e.httpStatus) o.Set("status", Napi::Number::New(env, static_cast<double>(e.httpStatus)));
  if (e.curlCode) o.Set("curlCode", Napi::Number::New(env, e.curlCode));
  if (!e.requestId.empty()) o.Set("requestId", e.requestId);
  if (!e.vendorCode.empty()) o.Set("vendorCode", e.vendorCode);
  if (!e.timeoutKind.empty()) o.Set("timeoutKind", e.timeoutKind);
  o.Set("retryable", Napi::Boolean::New(env, e.retryable));
  if (e.retryAfterMs >= 0) o.Set("retryAfterMs", Napi::Number::New(env, static_cast<double>(e.retryAfterMs)));
  if (e.attempts) o.Set("attempts", Napi::Number::New(env, e.attempts));
  if (e.partNumber) o.Set("partNumber", Napi::Number::New(env, e.partNumber));
  if (!e.field.empty()) o.Set("field", e.field);
  return o;
}

Napi::Object HeadersToJs(Napi::Env env, const Headers& h) {
  Napi::Object o = Napi::Object::New(env);
  for (const auto& kv : h) {
    if (o.Has(kv.first)) {
      o.Set(kv.first, o.Get(kv.first).ToString().Utf8Value() + ", " + kv.second);
    } else {
      o.Set(kv.first, kv.second);
    }
  }
  return o;
}

Napi::Object ProgressToJs(Napi::Env env, const Progress& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("bytesSent", Napi::Number::New(env, static_cast<double>(p.bytesSent)));
  o.Set("totalBytes", Napi::Number::New(env, static_cast<double>(p.totalBytes)));
  o.Set("partsDone", Napi::Number::New(env, p.partsDone));
  o.Set("partsTotal", Napi::Number::New(env, p.partsTotal));
  return o;
}

Napi::Value CurlVersion(const Napi::CallbackInfo& info) {
  curl_version_info_data* v = curl_version_info(CURLVERSION_NOW);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("version", v->version ? v->version : "");
  o.Set("ssl", v->ssl_version ? v->ssl_version : "");
  return o;
}

}  // namespace uplift::addon
