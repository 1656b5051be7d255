// putPresigned(spec, onProgress) -> { promise, cancel }.
// spec: { url, method?, headers: [[name, value]], source, offset?, length?, expectStatus?,
//         computeMd5?, retry?, timeouts?, progressIntervalMs? }
#include "convert.h"
#include "engine_wrap.h"
#include "job_bridge.h"
#include "primitives.h"

namespace uplift::addon {

Napi::Value PutPresigned(Napi::Env env, const std::shared_ptr<Engine>& engine, Napi::Object spec,
                         Napi::Value onProgress) {
  KeepAlive keep;
  Error err;
  std::shared_ptr<Source> source = ToSource(spec.Get("source"), &keep, &err);
  if (!source) return RejectedHandle(env, err);
  PutSpec put;
  put.url = GetString(spec, "url");
  put.method = GetString(spec, "method", "PUT");
  put.headers = ToHeaders(spec.Get("headers"));
  put.expectStatus = ToStatuses(spec.Get("expectStatus"));
  put.computeMd5 = GetBool(spec, "computeMd5", true);
  uint64_t size = source->size();
  uint64_t offset = std::min(static_cast<uint64_t>(GetNumber(spec, "offset", 0)), size);
  uint64_t length = static_cast<uint64_t>(GetNumber(spec, "length", static_cast<double>(size - offset)));
  if (length > size - offset) {
    return RejectedHandle(env, makeError(codes::kInvalidArgument,
                                         "offset + length is beyond the end of the source"));
  }
  put.body = BodyRange{source, offset, length};

  StartedJob s = StartJob(env, engine, spec, onProgress, std::move(keep));
  if (!s.job) return JobBridge::Handle(env, s.promise, nullptr);
  std::shared_ptr<JobBridge> bridge = s.bridge;
  uplift::putPresigned(*engine, s.job, std::move(put), [bridge](const Error& e, PutResult& r) {
    PutResult copy = r;
    bridge->finish(e, [copy](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("status", Napi::Number::New(env, static_cast<double>(copy.status)));
      o.Set("etag", copy.etag);
      o.Set("bytes", Napi::Number::New(env, static_cast<double>(copy.bytes)));
      o.Set("md5", copy.md5);
      o.Set("attempts", Napi::Number::New(env, copy.attempts));
      o.Set("headers", HeadersToJs(env, copy.headers));
      o.Set("body", copy.body);
      return o;
    });
  });
  return JobBridge::Handle(env, s.promise, s.job, s.bridge);
}

}  // namespace uplift::addon
