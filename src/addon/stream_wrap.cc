// StreamWrap: the producer side of a StreamSource for JS.
#include "stream_wrap.h"

#include "convert.h"

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

namespace {
// Runs the producer's drain callback. Never lets an exception out: during environment
// teardown the call fails, and an escaping C++ exception would abort the process.
void CallDrain(napi_env env, napi_value fn, void*, void*) {
  if (env == nullptr || fn == nullptr) return;  // torn down with calls queued
  napi_value undefined;
  if (napi_get_undefined(env, &undefined) != napi_ok) return;
  napi_value ignored;
  if (napi_call_function(env, undefined, fn, 0, nullptr, &ignored) != napi_ok) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value e;
      napi_get_and_clear_last_exception(env, &e);
    }
  }
}
}  // namespace

void DrainState::call() {
  std::lock_guard<std::mutex> lock(mu);
  if (tsfn != nullptr) napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking);
}

void DrainState::release() {
  std::lock_guard<std::mutex> lock(mu);
  if (tsfn == nullptr) return;
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  tsfn = nullptr;
}

StreamWrap::StreamWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StreamWrap>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  double size = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  double bound = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 8 << 20;
  source_ = std::make_shared<StreamSource>(static_cast<uint64_t>(size), static_cast<uint64_t>(bound));
  if (info.Length() > 2 && info[2].IsFunction()) {
    napi_value name;
    napi_threadsafe_function tsfn = nullptr;
    if (napi_create_string_utf8(env, "uplift.drain", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_threadsafe_function(env, info[2], nullptr, name, 0, 1, nullptr, nullptr, nullptr,
                                        CallDrain, &tsfn) != napi_ok) {
      Napi::Error::New(env, "could not create the stream's drain callback").ThrowAsJavaScriptException();
      return;
    }
    napi_unref_threadsafe_function(env, tsfn);  // the producer stream keeps the process alive, not this
    drain_->tsfn = tsfn;
    // Registered after the thread-safe function, so it runs before Node's own teardown of it.
    napi_add_env_cleanup_hook(env, AtTeardown, this);
    hookActive_ = true;
    std::weak_ptr<DrainState> weak = drain_;
    source_->setOnDrain([weak]() {
      if (auto d = weak.lock()) d->call();
    });
  }
}

StreamWrap::~StreamWrap() {
  releaseDrain();
  if (hookActive_) {
    napi_remove_env_cleanup_hook(env_, AtTeardown, this);
    hookActive_ = false;
  }
  if (reportedBytes_ != 0) napi_adjust_external_memory(env_, -reportedBytes_, nullptr);
}

void StreamWrap::AtTeardown(void* self) {
  auto* w = static_cast<StreamWrap*>(self);
  w->hookActive_ = false;
  w->releaseDrain();
}

void StreamWrap::reportMemory(Napi::Env env) {
  int64_t now = static_cast<int64_t>(source_->bufferedBytes());
  if (now == reportedBytes_) return;
  int64_t ignored;
  if (napi_adjust_external_memory(env, now - reportedBytes_, &ignored) == napi_ok) reportedBytes_ = now;
}

void StreamWrap::releaseDrain() {
  source_->setOnDrain(nullptr);
  drain_->release();
}

Napi::Value StreamWrap::JsPush(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(info.Env(), "push(chunk) takes a Buffer or Uint8Array").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  TypedBytes bytes;  // copied by push, so the chunk's memory is not used afterwards
  GetTypedBytes(info[0], &bytes);
  bool room = source_->push(bytes.data, bytes.length);
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
