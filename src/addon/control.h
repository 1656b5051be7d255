// Upload controls as JS objects: createControl() -> { ref, pause(), resume(), paused(),
// setBandwidth(bytesPerSecond) }. A spec's `control` makes its job follow that control.
#pragma once

#include <napi.h>

#include <memory>

#include "bandwidth.h"

namespace uplift::addon {

Napi::Value CreateControl(const Napi::CallbackInfo& info);
// The control of a `control` value from createControl(), or nullptr.
std::shared_ptr<UploadControl> ToControl(const Napi::Value& v);

}  // namespace uplift::addon
