// A stream source as a JS object: the TypeScript layer pipes a Node Readable into it with
// push(chunk) -> boolean (false: pause until onDrain), end() and fail(message). Passed to an
// operation as the source { kind: 'stream', handle }.
#pragma once

#include <napi.h>

#include <memory>

#include "addon_data.h"
#include "stream_source.h"

namespace uplift::addon {

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
  // Tells V8 how much native memory the window holds (JS thread), so that its garbage
  // collector runs as often as the pushed chunks' bytes deserve.
  void reportMemory(Napi::Env env);

  std::shared_ptr<StreamSource> source_;
  Napi::ThreadSafeFunction drain_;  // released on end/fail/destruction
  std::shared_ptr<bool> drainLive_ = std::make_shared<bool>(false);
  int64_t reportedBytes_ = 0;
};

}  // namespace uplift::addon
