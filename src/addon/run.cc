// run(op, spec, onProgress) -> { promise, cancel }: the named core operations (vendor flows).
// The spec is read once into the op's core struct (specs.h); results come back as plain
// objects.
#include "convert.h"
#include "engine_wrap.h"
#include "job_bridge.h"
#include "ops.h"
#include "specs.h"

namespace uplift::addon {

namespace {

Napi::Value JsonToJs(Napi::Env env, const rapidjson::Value& v) {
  if (v.IsString()) return Napi::String::New(env, v.GetString(), v.GetStringLength());
  if (v.IsBool()) return Napi::Boolean::New(env, v.GetBool());
  if (v.IsNumber()) return Napi::Number::New(env, v.GetDouble());
  if (v.IsArray()) {
    Napi::Array a = Napi::Array::New(env, v.Size());
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) a.Set(i, JsonToJs(env, v[i]));
    return a;
  }
  if (v.IsObject()) {
    Napi::Object o = Napi::Object::New(env);
    for (const auto& m : v.GetObject()) o.Set(m.name.GetString(), JsonToJs(env, m.value));
    return o;
  }
  return env.Null();
}

}  // namespace

Napi::Value RunOp(Napi::Env env, const std::shared_ptr<Engine>& engine, const std::string& op,
                  Napi::Object spec, Napi::Value onProgress) {
  KeepAlive keep;
  OpContext ctx;
  ctx.engine = engine.get();
  bool known = false;
  Error err;
  BoundOp fn = ReadTypedOp(op, spec, &keep, &known, &err);
  if (!known) return RejectedHandle(env, makeError(codes::kInvalidArgument, "unknown operation '" + op + "'"));
  if (!err.code.empty()) return RejectedHandle(env, err);

  StartedJob s = StartJob(env, engine, spec, onProgress, std::move(keep));
  if (!s.job) return JobBridge::Handle(env, s.promise, nullptr);
  ctx.job = s.job;
  std::shared_ptr<JobBridge> bridge = s.bridge;
  std::shared_ptr<Job> job = s.job;
  fn(ctx, [bridge, job](const Error& e, JsonPtr result) {
    job->maybeEmitProgress(true);
    if (!e.code.empty() || !result) {
      Error out = e;
      if (out.code.empty()) out = makeError(codes::kInternal, "the operation ended without a result");
      bridge->finish(out, nullptr);
      return;
    }
    bridge->finish(Error(), [result](Napi::Env env) { return JsonToJs(env, *result); });
  });
  return JobBridge::Handle(env, s.promise, s.job, s.bridge);
}

}  // namespace uplift::addon
