// Engine as a JS class: owns a core Engine; the upload operations are methods whose bodies
// live one per file (put.cc, form.cc, parts.cc). Close explicitly with close().
#pragma once

#include <napi.h>

#include <memory>

#include "addon_data.h"
#include "engine.h"

namespace uplift::addon {

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Init(Napi::Env env, AddonData* data);
  explicit EngineWrap(const Napi::CallbackInfo& info);
  ~EngineWrap() override;

  // The engine, or nullptr once closed.
  std::shared_ptr<Engine> engine() const { return engine_; }

 private:
  Napi::Value JsPutPresigned(const Napi::CallbackInfo& info);
  Napi::Value JsPostPresignedForm(const Napi::CallbackInfo& info);
  Napi::Value JsUploadPresignedParts(const Napi::CallbackInfo& info);
  Napi::Value JsRun(const Napi::CallbackInfo& info);
  Napi::Value JsProbeUrl(const Napi::CallbackInfo& info);
  Napi::Value JsClose(const Napi::CallbackInfo& info);
  Napi::Value JsStats(const Napi::CallbackInfo& info);
  Napi::Value JsSetBandwidth(const Napi::CallbackInfo& info);

  std::shared_ptr<Engine> engine_;
};

// Operations (one file each). `spec` was validated by the TypeScript layer.
Napi::Value PutPresigned(Napi::Env env, const std::shared_ptr<Engine>& engine,
                         Napi::Object spec, Napi::Value onProgress);
Napi::Value PostPresignedForm(Napi::Env env, const std::shared_ptr<Engine>& engine,
                              Napi::Object spec, Napi::Value onProgress);
Napi::Value UploadPresignedParts(Napi::Env env, const std::shared_ptr<Engine>& engine,
                                 Napi::Object spec, Napi::Value onProgress);
Napi::Value ProbeUrl(Napi::Env env, const std::shared_ptr<Engine>& engine, Napi::Object spec,
                     Napi::Value onProgress);  // url.cc
Napi::Value RunOp(Napi::Env env, const std::shared_ptr<Engine>& engine, const std::string& op,
                  Napi::Object spec, Napi::Value onProgress);

}  // namespace uplift::addon
