// Export table of the uplift addon. Per-environment state lives in AddonData (worker-safe).
#include <napi.h>

#include <algorithm>
#include <string>

#include "addon_data.h"
#include "convert.h"
#include "control.h"
#include "engine_wrap.h"
#include "stream_wrap.h"

namespace uplift::addon {

// trackSpoolDir(path): removes `path` recursively when this environment is torn down.
Napi::Value TrackSpoolDir(const Napi::CallbackInfo& info) {
  auto* data = info.Env().GetInstanceData<AddonData>();
  if (data != nullptr && info.Length() > 0 && info[0].IsString()) data->spoolDirs.push_back(info[0].As<Napi::String>().Utf8Value());
  return info.Env().Undefined();
}

// untrackSpoolDir(path): forgets `path` (the TS layer removed it).
Napi::Value UntrackSpoolDir(const Napi::CallbackInfo& info) {
  auto* data = info.Env().GetInstanceData<AddonData>();
  if (data != nullptr && info.Length() > 0 && info[0].IsString()) {
    const std::string dir = info[0].As<Napi::String>().Utf8Value();
    auto& dirs = data->spoolDirs;
    dirs.erase(std::remove(dirs.begin(), dirs.end(), dir), dirs.end());
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  uplift::ensureCurlGlobalInit();
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);  // deleted (engines closed) on environment teardown
  exports.Set("Engine", EngineWrap::Init(env, data));
  exports.Set("Stream", StreamWrap::Init(env, data));
  exports.Set("curlVersion", Napi::Function::New(env, CurlVersion));
  exports.Set("bufferCopies", Napi::Function::New(env, JsBufferCopies));
  exports.Set("createControl", Napi::Function::New(env, CreateControl));
  exports.Set("trackSpoolDir", Napi::Function::New(env, TrackSpoolDir));
  exports.Set("untrackSpoolDir", Napi::Function::New(env, UntrackSpoolDir));
  return exports;
}

NODE_API_MODULE(uplift, Init)

}  // namespace uplift::addon
