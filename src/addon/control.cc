// createControl(): a shared UploadControl behind a type-tagged External.
#include "control.h"

namespace uplift::addon {

namespace {
const napi_type_tag kControlTag = {0x75706c6966742d63ULL, 0x6f6e74726f6c2d31ULL};
using ControlPtr = std::shared_ptr<UploadControl>;
}  // namespace

Napi::Value CreateControl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto control = std::make_shared<UploadControl>();
  auto ext = Napi::External<ControlPtr>::New(env, new ControlPtr(control),
                                             [](Napi::Env, ControlPtr* p) { delete p; });
  napi_type_tag_object(env, ext, &kControlTag);
  Napi::Object o = Napi::Object::New(env);
  o.Set("ref", ext);
  o.Set("pause", Napi::Function::New(env, [control](const Napi::CallbackInfo&) { control->pause(); }));
  o.Set("resume", Napi::Function::New(env, [control](const Napi::CallbackInfo& i) {
          return Napi::Boolean::New(i.Env(), control->resume());
        }));
  o.Set("paused", Napi::Function::New(env, [control](const Napi::CallbackInfo& i) {
          return Napi::Boolean::New(i.Env(), control->paused());
        }));
  o.Set("setBandwidth", Napi::Function::New(env, [control](const Napi::CallbackInfo& i) {
          double v = i.Length() > 0 && i[0].IsNumber() ? i[0].As<Napi::Number>().DoubleValue() : 0;
          control->bucket().setRate(v > 0 ? static_cast<uint64_t>(v) : 0);
          control->wakeJobs();
        }));
  return o;
}

std::shared_ptr<UploadControl> ToControl(const Napi::Value& v) {
  if (!v.IsObject()) return nullptr;
  Napi::Value ref = v.As<Napi::Object>().Get("ref");
  if (!ref.IsExternal()) return nullptr;
  bool ok = false;
  if (napi_check_object_type_tag(v.Env(), ref, &kControlTag, &ok) != napi_ok || !ok) return nullptr;
  return *ref.As<Napi::External<ControlPtr>>().Data();
}

}  // namespace uplift::addon
