// JS <-> core conversions.
#include "convert.h"

#include <curl/curl.h>

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
    if (!b.IsTypedArray()) {
      *err = makeError(codes::kInvalidArgument, "source.buffer must be a Buffer or Uint8Array");
      return nullptr;
    }
    Napi::TypedArray ta = b.As<Napi::TypedArray>();
    Napi::ArrayBuffer ab = ta.ArrayBuffer();
    const auto* data = static_cast<const unsigned char*>(ab.Data()) + ta.ByteOffset();
    keep->refs.emplace_back(Napi::Persistent(b));
    return std::make_shared<MemorySource>(data, ta.ByteLength());
  }
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
