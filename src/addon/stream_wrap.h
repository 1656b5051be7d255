// A stream source as a JS object: the TypeScript layer pipes a Node Readable into it with
// push(chunk) -> boolean (false: pause until onDrain), end() and fail(message). Passed to an
// operation as the source { kind: 'stream', handle }.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>

#include "addon_data.h"
#include "stream_source.h"

namespace uplift::addon {

// The producer's drain callback as engine threads see it: a call after release (end, fail,
// collection or environment teardown) is dropped, and release happens once, on the JS
// thread, while the thread-safe function is still valid.
struct DrainState {
  std::mutex mu;
  napi_threadsafe_function tsfn = nullptr;  // null once released
  void call();                              // any thread
  void release();                           // JS thread
};

class StreamWrap : public Napi::ObjectWrap<StreamWrap> {
 public:
  static Napi::Function Init(Napi::Env env, AddonData* data);
  // new Stream(size, maxBufferedBytes, onDrain)
  explicit StreamWrap(const Napi::CallbackInfo& info);
  ~StreamWrap() override;

  std::shared_ptr<StreamSource> source() const { return source_; }

 private:
  Napi::Value JsPush(const Napi::CallbackInfo& info);
  Napi::Value JsEnd(const Napi::CallbackInfo& info);
  Napi::Value JsFail(const Napi::CallbackInfo& info);
  Napi::Value JsStats(const Napi::CallbackInfo& info);
  void releaseDrain();
  // Environment teardown (a Worker terminated): releases the drain callback before Node
  // tears the thread-safe function down.
  static void AtTeardown(void* self);
  // Tells V8 how much native memory the window holds (JS thread), so that its garbage
  // collector runs as often as the pushed chunks' bytes deserve.
  void reportMemory(Napi::Env env);

  std::shared_ptr<StreamSource> source_;
  std::shared_ptr<DrainState> drain_ = std::make_shared<DrainState>();  // released on end/fail/destruction
  napi_env env_ = nullptr;
  bool hookActive_ = false;  // AtTeardown registered (JS thread only)
  int64_t reportedBytes_ = 0;
};

}  // namespace uplift::addon
