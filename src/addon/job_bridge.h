// Carries one job's progress and completion from engine threads to the JS thread through a
// thread-safe function, and settles the job's promise there. Progress arrives already
// throttled by the engine (about 10 a second) plus one final call before completion.
#pragma once

#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>

#include "convert.h"
#include "engine.h"

namespace uplift::addon {

class JobBridge;

struct BridgeEvent {
  bool done = false;
  bool part = false;  // a stored part: partNumber, etag
  bool retry = false; // a retry scheduled: partNumber, attempt, delayMs, error
  int partNumber = 0;
  int attempt = 0;
  long delayMs = 0;
  std::string etag;
  Progress progress;
  Error error;                                   // when done and failed
  std::function<Napi::Value(Napi::Env)> result;  // when done and succeeded; run on JS thread
};

struct BridgeContext {
  Napi::Promise::Deferred deferred;
  Napi::FunctionReference onProgress;
  Napi::FunctionReference onPart;
  Napi::ObjectReference handle;  // the JS handle; its onTrace(kind, ...) sees parts and retries
  KeepAlive keep;
  std::shared_ptr<Engine> engine;  // outlives the job
  std::shared_ptr<JobBridge> self;  // dropped on completion
  bool hookActive = false;          // teardown hook registered (JS thread only)
  explicit BridgeContext(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

void CallJs(Napi::Env env, Napi::Function, BridgeContext* ctx, BridgeEvent* ev);
using BridgeTsfn = Napi::TypedThreadSafeFunction<BridgeContext, BridgeEvent, CallJs>;

class JobBridge {
 public:
  // JS thread. onProgress may be undefined. Fills *promise.
  static std::shared_ptr<JobBridge> Create(Napi::Env env, Napi::Value onProgress,
                                           std::shared_ptr<Engine> engine, KeepAlive keep,
                                           Napi::Promise* promise);
  // Any thread.
  void progress(const Progress& p);
  void part(int partNumber, const std::string& etag);
  void retry(int partNumber, int attempt, long delayMs, const Error& err);
  // Any thread, once.
  void finish(const Error& err, std::function<Napi::Value(Napi::Env)> result);

  // A JS object { promise, cancel(reason?) } for the TypeScript layer.
  static Napi::Object Handle(Napi::Env env, Napi::Promise promise, std::shared_ptr<Job> job,
                             const std::shared_ptr<JobBridge>& bridge = nullptr);

  BridgeTsfn tsfn;
  std::atomic<bool> finished{false};
  // The job's copied Buffer sources: freed by finish(), before the promise settles.
  std::vector<std::shared_ptr<CopiedSource>> copies;
};

// JS thread: the bridge and the job for one operation, with job options read from spec.
// job is null when the engine is closed (the promise is then already being rejected).
struct StartedJob {
  std::shared_ptr<JobBridge> bridge;
  std::shared_ptr<Job> job;
  Napi::Promise promise;
};
StartedJob StartJob(Napi::Env env, const std::shared_ptr<Engine>& engine, Napi::Object spec,
                    Napi::Value onProgress, KeepAlive keep);

// JS thread: rejects a promise at once (bad spec, closed engine) and returns the handle.
Napi::Object RejectedHandle(Napi::Env env, const Error& err);

}  // namespace uplift::addon
