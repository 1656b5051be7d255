// probeUrl(spec) -> { promise, cancel }: the size and validators (ETag, Last-Modified) of a
// URL source, found natively with one ranged GET (see UrlSource::probe).
// spec: { url, headers: [[name, value]], retry?, timeouts?, proxy? }
#include "convert.h"
#include "engine_wrap.h"
#include "job_bridge.h"
#include "url_source.h"

namespace uplift::addon {

Napi::Value ProbeUrl(Napi::Env env, const std::shared_ptr<Engine>& engine, Napi::Object spec,
                     Napi::Value onProgress) {
  UrlSpec u;
  u.url = GetString(spec, "url");
  u.headers = ToHeaders(spec.Get("headers"));
  StartedJob s = StartJob(env, engine, spec, onProgress, KeepAlive());
  if (!s.job) return JobBridge::Handle(env, s.promise, nullptr);
  std::shared_ptr<JobBridge> bridge = s.bridge;
  UrlSource::probe(s.job, std::move(u), [bridge](const Error& e, const UrlProbe& p) {
    UrlProbe copy = p;
    bridge->finish(e, [copy](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("size", Napi::Number::New(env, static_cast<double>(copy.size)));
      o.Set("etag", copy.etag);
      o.Set("lastModified", copy.lastModified);
      o.Set("requests", Napi::Number::New(env, copy.requests));
      return o;
    });
  });
  return JobBridge::Handle(env, s.promise, s.job, s.bridge);
}

// A {kind:'url'} source object: { url, headers: [[name, value]], size, etag?, lastModified? }.
std::shared_ptr<Source> ToUrlSource(const Napi::Object& o, Error* err) {
  UrlSpec u;
  u.url = GetString(o, "url");
  u.headers = ToHeaders(o.Get("headers"));
  double size = GetNumber(o, "size", -1);
  if (u.url.empty() || !(size >= 0 && size <= 9007199254740991.0)) {
    *err = makeError(codes::kInvalidArgument, "source.url and source.size are required for a URL source");
    return nullptr;
  }
  u.size = static_cast<uint64_t>(size);
  u.etag = GetString(o, "etag");
  u.lastModified = GetString(o, "lastModified");
  return std::make_shared<UrlSource>(std::move(u));
}

}  // namespace uplift::addon
