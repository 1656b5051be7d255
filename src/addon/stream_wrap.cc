// StreamWrap: the producer side of a StreamSource for JS.
#include "stream_wrap.h"

namespace uplift::addon {

Napi::Function StreamWrap::Init(Napi::Env env, AddonData* data) {
  Napi::Function ctor = DefineClass(env, "Stream",
                                    {InstanceMethod<&StreamWrap::JsPush>("push"),
                                     InstanceMethod<&StreamWrap::JsEnd>("end"),
                                     InstanceMethod<&StreamWrap::JsFail>("fail"),
                                     InstanceMethod<&StreamWrap::JsStats>("stats")});
  data->streamCtor = Napi::Persistent(ctor);
  return ctor;
}

StreamWrap::StreamWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StreamWrap>(info) {
  Napi::Env env = info.Env();
  double size = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  double bound = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 8 << 20;
  source_ = std::make_shared<StreamSource>(static_cast<uint64_t>(size), static_cast<uint64_t>(bound));
  if (info.Length() > 2 && info[2].IsFunction()) {
    drain_ = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "uplift.drain", 0, 1);
    drain_.Unref(env);  // the producer stream keeps the process alive, not this
    *drainLive_ = true;
    Napi::ThreadSafeFunction tsfn = drain_;
    std::shared_ptr<bool> live = drainLive_;
    source_->setOnDrain([tsfn, live]() mutable {
      if (*live) tsfn.NonBlockingCall();
    });
  }
}

StreamWrap::~StreamWrap() {
  source_->setOnDrain(nullptr);
  releaseDrain();
  if (reportedBytes_ != 0) Napi::MemoryManagement::AdjustExternalMemory(Env(), -reportedBytes_);
}

void StreamWrap::reportMemory(Napi::Env env) {
  int64_t now = static_cast<int64_t>(source_->bufferedBytes());
  if (now == reportedBytes_) return;
  Napi::MemoryManagement::AdjustExternalMemory(env, now - reportedBytes_);
  reportedBytes_ = now;
}

void StreamWrap::releaseDrain() {
  if (*drainLive_) {
    *drainLive_ = false;
    source_->setOnDrain(nullptr);
    drain_.Release();
  }
}

Napi::Value StreamWrap::JsPush(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(info.Env(), "push(chunk) takes a Buffer or Uint8Array").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  const auto* data = static_cast<const unsigned char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  bool room = source_->push(data, ta.ByteLength());
  reportMemory(info.Env());
  return Napi::Boolean::New(info.Env(), room);
}

Napi::Value StreamWrap::JsEnd(const Napi::CallbackInfo& info) {
  source_->end();
  reportMemory(info.Env());
  releaseDrain();
  return info.Env().Undefined();
}

Napi::Value StreamWrap::JsFail(const Napi::CallbackInfo& info) {
  std::string msg = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value()
                                                            : "the source stream failed";
  source_->fail(makeError(codes::kFileNotReadable, "the source stream failed: " + msg));
  releaseDrain();
  return info.Env().Undefined();
}

Napi::Value StreamWrap::JsStats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("bufferedBytes", Napi::Number::New(info.Env(), static_cast<double>(source_->bufferedBytes())));
  o.Set("highWaterBytes", Napi::Number::New(info.Env(), static_cast<double>(source_->highWaterBytes())));
  return o;
}

}  // namespace uplift::addon
