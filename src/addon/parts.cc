// uploadPresignedParts(spec, onProgress) -> { promise, cancel }.
// spec: { parts: [{ partNumber, url, offset, length }], source, headers?, concurrency,
//         computeMd5?, retry?, timeouts? } — ranges computed and checked by the TS layer.
#include "convert.h"
#include "engine_wrap.h"
#include "job_bridge.h"
#include "primitives.h"

namespace uplift::addon {

Napi::Value UploadPresignedParts(Napi::Env env, const std::shared_ptr<Engine>& engine,
                                 Napi::Object spec, Napi::Value onProgress) {
  KeepAlive keep;
  Error err;
  std::shared_ptr<Source> source = ToSource(spec.Get("source"), &keep, &err);
  if (!source) return RejectedHandle(env, err);
  PartsSpec ps;
  ps.source = source;
  ps.headers = ToHeaders(spec.Get("headers"));
  ps.concurrency = static_cast<int>(GetNumber(spec, "concurrency", 4));
  ps.computeMd5 = GetBool(spec, "computeMd5", true);
  Napi::Value partsVal = spec.Get("parts");
  if (!partsVal.IsArray()) {
    return RejectedHandle(env, makeError(codes::kInvalidArgument, "parts must be an array"));
  }
  Napi::Array parts = partsVal.As<Napi::Array>();
  uint64_t size = source->size();
  for (uint32_t i = 0; i < parts.Length(); ++i) {
    Napi::Object p = parts.Get(i).As<Napi::Object>();
    PartSpec part;
    part.partNumber = static_cast<int>(GetNumber(p, "partNumber", 0));
    part.url = GetString(p, "url");
    part.offset = static_cast<uint64_t>(GetNumber(p, "offset", 0));
    part.length = static_cast<uint64_t>(GetNumber(p, "length", 0));
    if (part.offset > size || part.length > size - part.offset) {
      return RejectedHandle(env, makeError(codes::kSizeMismatch,
                                           "part " + std::to_string(part.partNumber) +
                                               " lies beyond the end of the source"));
    }
    ps.parts.push_back(std::move(part));
  }

  StartedJob s = StartJob(env, engine, spec, onProgress, std::move(keep));
  if (!s.job) return JobBridge::Handle(env, s.promise, nullptr);
  std::shared_ptr<JobBridge> bridge = s.bridge;
  uplift::uploadPresignedParts(*engine, s.job, std::move(ps), [bridge](const Error& e, PartsResult& r) {
    PartsResult copy = r;
    bridge->finish(e, [copy](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      Napi::Array arr = Napi::Array::New(env, copy.parts.size());
      for (size_t i = 0; i < copy.parts.size(); ++i) {
        Napi::Object p = Napi::Object::New(env);
        p.Set("partNumber", Napi::Number::New(env, copy.parts[i].partNumber));
        p.Set("etag", copy.parts[i].etag);
        arr.Set(static_cast<uint32_t>(i), p);
      }
      o.Set("parts", arr);
      o.Set("md5", copy.md5);
      o.Set("bytes", Napi::Number::New(env, static_cast<double>(copy.bytes)));
      o.Set("retries", Napi::Number::New(env, copy.retries));
      return o;
    });
  });
  return JobBridge::Handle(env, s.promise, s.job, s.bridge);
}

}  // namespace uplift::addon
