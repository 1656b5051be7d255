// Export table of the uplift addon. Per-environment state lives in AddonData (worker-safe).
#include <napi.h>

#include "addon_data.h"
#include "convert.h"
#include "engine_wrap.h"
#include "stream_wrap.h"

namespace uplift::addon {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  uplift::ensureCurlGlobalInit();
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);  // deleted (engines closed) on environment teardown
  exports.Set("Engine", EngineWrap::Init(env, data));
  exports.Set("Stream", StreamWrap::Init(env, data));
  exports.Set("curlVersion", Napi::Function::New(env, CurlVersion));
  exports.Set("bufferCopies", Napi::Function::New(env, JsBufferCopies));
  return exports;
}

NODE_API_MODULE(uplift, Init)

}  // namespace uplift::addon
