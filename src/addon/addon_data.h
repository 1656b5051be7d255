// Per-environment state of the addon: the engines created in this environment, closed when
// the environment (main thread or a worker) is torn down.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>
#include <vector>

#include "engine.h"

namespace uplift::addon {

struct AddonData {
  Napi::FunctionReference engineCtor;
  Napi::FunctionReference streamCtor;
  std::vector<std::weak_ptr<uplift::Engine>> engines;  // JS thread only

  ~AddonData() {
    for (auto& w : engines) {
      if (auto e = w.lock()) e->close();
    }
  }
};

Napi::Value CurlVersion(const Napi::CallbackInfo& info);

}  // namespace uplift::addon
