// Per-environment state of the addon: the engines created in this environment, closed when
// the environment (main thread or a worker) is torn down.
#pragma once

#include <napi.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "engine.h"

namespace uplift::addon {

struct AddonData {
  Napi::FunctionReference engineCtor;
  Napi::FunctionReference streamCtor;
  std::vector<std::weak_ptr<uplift::Engine>> engines;  // JS thread only
  // Spool folders of the TS layer still in use (trackSpoolDir / untrackSpoolDir); removed with
  // their files at teardown, so a terminated Worker leaves no copy of the user's data. JS thread only.
  std::vector<std::string> spoolDirs;

  ~AddonData() {
    for (auto& w : engines) {
      if (auto e = w.lock()) e->close();
    }
    for (const auto& dir : spoolDirs) {
      std::error_code ec;  // never throws at teardown
      std::filesystem::remove_all(dir, ec);
    }
  }
};

Napi::Value TrackSpoolDir(const Napi::CallbackInfo& info);
Napi::Value UntrackSpoolDir(const Napi::CallbackInfo& info);

Napi::Value CurlVersion(const Napi::CallbackInfo& info);

}  // namespace uplift::addon
