// EngineWrap: construction from checked options, method dispatch, close.
#include "engine_wrap.h"

#include "convert.h"
#include "job_bridge.h"

namespace uplift::addon {

Napi::Function EngineWrap::Init(Napi::Env env, AddonData* data) {
  Napi::Function ctor = DefineClass(
      env, "Engine",
      {InstanceMethod<&EngineWrap::JsPutPresigned>("putPresigned"),
       InstanceMethod<&EngineWrap::JsPostPresignedForm>("postPresignedForm"),
       InstanceMethod<&EngineWrap::JsUploadPresignedParts>("uploadPresignedParts"),
       InstanceMethod<&EngineWrap::JsRun>("run"),
       InstanceMethod<&EngineWrap::JsProbeUrl>("probeUrl"),
       InstanceMethod<&EngineWrap::JsClose>("close"),
       InstanceMethod<&EngineWrap::JsStats>("stats"),
       InstanceMethod<&EngineWrap::JsSetBandwidth>("setBandwidth")});
  data->engineCtor = Napi::Persistent(ctor);
  return ctor;
}

EngineWrap::EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
  EngineOptions o;
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Object opts = info[0].As<Napi::Object>();
    o.threads = static_cast<int>(GetNumber(opts, "threads", o.threads));
    o.maxConnectionsPerHost =
        static_cast<long>(GetNumber(opts, "maxConnectionsPerHost", o.maxConnectionsPerHost));
    o.tls.caFile = GetString(opts, "caFile");
    o.tls.caPem = GetString(opts, "caPem");
    o.tls.insecureSkipVerify = GetBool(opts, "insecureSkipTlsVerify", false);
    JobOptions d = ToJobOptions(opts, JobOptions());
    o.retry = d.retry;
    o.timeouts = d.timeouts;
    o.proxy = d.proxy;
    o.maxBytesPerSecond = d.maxBytesPerSecond;
  }
  engine_ = std::make_shared<Engine>(o);
  auto* data = info.Env().GetInstanceData<AddonData>();
  if (data) data->engines.push_back(engine_);
}

EngineWrap::~EngineWrap() {
  // Collected without close(): running jobs keep the engine alive through their bridges;
  // the engine closes when the last of them ends.
}

namespace {
Napi::Value Dispatch(const Napi::CallbackInfo& info, const std::shared_ptr<Engine>& engine,
                     Napi::Value (*op)(Napi::Env, const std::shared_ptr<Engine>&, Napi::Object,
                                       Napi::Value)) {
  Napi::Env env = info.Env();
  if (!engine || engine->closed()) {
    return RejectedHandle(env, makeError(codes::kEngineClosed,
                                         "the engine was closed; create a new Engine"));
  }
  if (info.Length() < 1 || !info[0].IsObject()) {
    return RejectedHandle(env, makeError(codes::kInvalidArgument, "missing upload spec"));
  }
  return op(env, engine, info[0].As<Napi::Object>(), info.Length() > 1 ? info[1] : env.Undefined());
}
}  // namespace

Napi::Value EngineWrap::JsPutPresigned(const Napi::CallbackInfo& info) {
  return Dispatch(info, engine_, &PutPresigned);
}

Napi::Value EngineWrap::JsPostPresignedForm(const Napi::CallbackInfo& info) {
  return Dispatch(info, engine_, &PostPresignedForm);
}

Napi::Value EngineWrap::JsUploadPresignedParts(const Napi::CallbackInfo& info) {
  return Dispatch(info, engine_, &UploadPresignedParts);
}

Napi::Value EngineWrap::JsProbeUrl(const Napi::CallbackInfo& info) {
  return Dispatch(info, engine_, &ProbeUrl);
}

Napi::Value EngineWrap::JsRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!engine_ || engine_->closed()) {
    return RejectedHandle(env, makeError(codes::kEngineClosed, "the engine was closed; create a new Engine"));
  }
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
    return RejectedHandle(env, makeError(codes::kInvalidArgument, "run(op, spec) needs an op name and a spec"));
  }
  return RunOp(env, engine_, info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Object>(),
               info.Length() > 2 ? info[2] : env.Undefined());
}

Napi::Value EngineWrap::JsClose(const Napi::CallbackInfo& info) {
  if (engine_) engine_->close();
  return info.Env().Undefined();
}

Napi::Value EngineWrap::JsSetBandwidth(const Napi::CallbackInfo& info) {
  double v = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  if (engine_) engine_->setBandwidth(v > 0 ? static_cast<uint64_t>(v) : 0);
  return info.Env().Undefined();
}

Napi::Value EngineWrap::JsStats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("closed", Napi::Boolean::New(info.Env(), !engine_ || engine_->closed()));
  o.Set("threads", Napi::Number::New(info.Env(), engine_ ? engine_->options().threads : 0));
  return o;
}

}  // namespace uplift::addon
