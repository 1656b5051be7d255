// JobBridge: thread-safe function plumbing for one job.
#include "job_bridge.h"

namespace uplift::addon {

namespace {
// Runs at environment teardown before the job's thread-safe function is torn down
// (registered after it): closing the engine joins its threads, so no engine thread can
// touch the function afterwards.
void CloseEngineAtTeardown(void* arg) {
  auto* ctx = static_cast<BridgeContext*>(arg);
  ctx->hookActive = false;
  if (ctx->engine) ctx->engine->close();
}
}  // namespace

namespace {
// After a call into JS: a listener that threw, or an environment that is going away
// (a terminated Worker), leaves an exception pending; it must not reach the caller.
void ClearPending(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
  }
}
}  // namespace

// Every call into JS here may fail: during environment teardown (worker.terminate()) the
// queue is still drained while JS can no longer run, and node-addon-api turns each failed
// call into a C++ exception. None may escape this function (that aborts the process), and
// the job's state is released exactly once whatever happened.
void CallJs(Napi::Env env, Napi::Function, BridgeContext* ctx, BridgeEvent* ev) {
  std::unique_ptr<BridgeEvent> event(ev);
  if (env == nullptr || ctx == nullptr || !event) return;  // environment is going away
  if (!event->done) {
    try {
      Napi::HandleScope scope(env);
      auto trace = [&](std::initializer_list<napi_value> args) {
        if (ctx->handle.IsEmpty()) return;
        Napi::Value fn = ctx->handle.Value().Get("onTrace");
        if (env.IsExceptionPending()) env.GetAndClearPendingException();
        if (!fn.IsFunction()) return;
        fn.As<Napi::Function>().Call(args);
      };
      if (event->part) {
        if (!ctx->onPart.IsEmpty()) {
          try {
            ctx->onPart.Call({Napi::Number::New(env, event->partNumber), Napi::String::New(env, event->etag)});
          } catch (const Napi::Error&) {
            // a throwing listener: the trace below still runs
          }
          ClearPending(env);
        }
        trace({Napi::String::New(env, "part"), Napi::Number::New(env, event->partNumber),
               Napi::String::New(env, event->etag)});
      } else if (event->retry) {
        trace({Napi::String::New(env, "retry"), Napi::Number::New(env, event->partNumber),
               Napi::Number::New(env, event->attempt),
               Napi::Number::New(env, static_cast<double>(event->delayMs)), ErrorToJs(env, event->error)});
      } else if (!ctx->onProgress.IsEmpty()) {
        ctx->onProgress.Call({ProgressToJs(env, event->progress)});
      }
    } catch (...) {
      // a throwing listener, or JS can no longer run
    }
    ClearPending(env);
    return;
  }
  try {
    Napi::HandleScope scope(env);
    if (event->error.code.empty() && event->result) {
      Napi::Value v = event->result(env);
      if (env.IsExceptionPending()) {
        ctx->deferred.Reject(env.GetAndClearPendingException().Value());
      } else {
        ctx->deferred.Resolve(v);
      }
    } else {
      ctx->deferred.Reject(ErrorToJs(env, event->error));
    }
  } catch (...) {
    // JS can no longer run: nobody is left to see the result
  }
  ClearPending(env);
  ctx->keep.refs.clear();
  if (!ctx->handle.IsEmpty()) ctx->handle.Reset();
  if (ctx->hookActive) {
    napi_remove_env_cleanup_hook(env, CloseEngineAtTeardown, ctx);
    ctx->hookActive = false;
  }
  std::shared_ptr<JobBridge> self = std::move(ctx->self);
  if (self) self->tsfn.Release();
}

std::shared_ptr<JobBridge> JobBridge::Create(Napi::Env env, Napi::Value onProgress,
                                             std::shared_ptr<Engine> engine, KeepAlive keep,
                                             Napi::Promise* promise) {
  auto bridge = std::make_shared<JobBridge>();
  auto* ctx = new BridgeContext(env);
  if (onProgress.IsFunction()) ctx->onProgress = Napi::Persistent(onProgress.As<Napi::Function>());
  bridge->copies = std::move(keep.copies);
  ctx->keep = std::move(keep);
  ctx->engine = std::move(engine);
  ctx->self = bridge;
  *promise = ctx->deferred.Promise();
  bridge->tsfn = BridgeTsfn::New(env, "uplift.job", 0, 1, ctx,
                                 [](Napi::Env, void*, BridgeContext* c) { delete c; });
  napi_add_env_cleanup_hook(env, CloseEngineAtTeardown, ctx);
  ctx->hookActive = true;
  return bridge;
}

void JobBridge::progress(const Progress& p) {
  if (finished.load(std::memory_order_acquire)) return;
  auto* ev = new BridgeEvent();
  ev->progress = p;
  if (tsfn.NonBlockingCall(ev) != napi_ok) delete ev;
}

void JobBridge::part(int partNumber, const std::string& etag) {
  if (finished.load(std::memory_order_acquire)) return;
  auto* ev = new BridgeEvent();
  ev->part = true;
  ev->partNumber = partNumber;
  ev->etag = etag;
  if (tsfn.NonBlockingCall(ev) != napi_ok) delete ev;
}

void JobBridge::retry(int partNumber, int attempt, long delayMs, const Error& err) {
  if (finished.load(std::memory_order_acquire)) return;
  auto* ev = new BridgeEvent();
  ev->retry = true;
  ev->partNumber = partNumber;
  ev->attempt = attempt;
  ev->delayMs = delayMs;
  ev->error = err;
  if (tsfn.NonBlockingCall(ev) != napi_ok) delete ev;
}

void JobBridge::finish(const Error& err, std::function<Napi::Value(Napi::Env)> result) {
  if (finished.exchange(true)) return;
  for (auto& c : copies) c->release();  // the job is over: its promise settles with the memory back
  auto* ev = new BridgeEvent();
  ev->done = true;
  ev->error = err;
  ev->result = std::move(result);
  if (tsfn.NonBlockingCall(ev) != napi_ok) delete ev;  // environment closing: nobody waits
}

Napi::Object JobBridge::Handle(Napi::Env env, Napi::Promise promise, std::shared_ptr<Job> job,
                               const std::shared_ptr<JobBridge>& bridge) {
  Napi::Object h = Napi::Object::New(env);
  if (bridge && job && !bridge->finished.load(std::memory_order_acquire)) {
    bridge->tsfn.GetContext()->handle = Napi::Persistent(h);
  }
  h.Set("promise", promise);
  // Weak: a handle kept by JS (until the garbage collector gets to it) must not keep the
  // finished job's native state alive.
  std::weak_ptr<Job> weak = job;
  h.Set("cancel", Napi::Function::New(env, [weak](const Napi::CallbackInfo& info) {
          std::shared_ptr<Job> job = weak.lock();
          if (!job) return;
          std::string msg = "the upload was aborted";
          if (info.Length() > 0 && info[0].IsString()) msg = info[0].As<Napi::String>().Utf8Value();
          job->cancel(makeError(codes::kAborted, msg));
        }));
  return h;
}

namespace {
// scheme://host:port of the URL an operation talks to first (url, parts[0].url or baseUrl).
std::string HostOf(const Napi::Object& spec) {
  std::string url = GetString(spec, "url");
  if (url.empty()) {
    Napi::Value parts = spec.Get("parts");
    if (parts.IsArray() && parts.As<Napi::Array>().Length() > 0 && parts.As<Napi::Array>().Get(0u).IsObject()) {
      url = GetString(parts.As<Napi::Array>().Get(0u).As<Napi::Object>(), "url");
    }
  }
  if (url.empty()) url = GetString(spec, "baseUrl");
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return std::string();
  size_t end = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, end);
}
}  // namespace

StartedJob StartJob(Napi::Env env, const std::shared_ptr<Engine>& engine, Napi::Object spec,
                    Napi::Value onProgress, KeepAlive keep) {
  StartedJob s{nullptr, nullptr, Napi::Promise()};  // filled by JobBridge::Create
  s.bridge = JobBridge::Create(env, onProgress, engine, std::move(keep), &s.promise);
  JobOptions jo = ToJobOptions(spec, engine->defaultJobOptions());
  if (onProgress.IsFunction()) {
    std::shared_ptr<JobBridge> bridge = s.bridge;
    jo.onProgress = [bridge](const Progress& p) { bridge->progress(p); };
  }
  // spec.onPart(partNumber, etag): stored parts, for resume journals. Parts and retries
  // also reach the handle's onTrace (instrumentation).
  Napi::Value onPart = spec.Get("onPart");
  if (onPart.IsFunction()) {
    s.bridge->tsfn.GetContext()->onPart = Napi::Persistent(onPart.As<Napi::Function>());
  }
  {
    std::shared_ptr<JobBridge> bridge = s.bridge;
    jo.onPart = [bridge](int n, const std::string& etag) { bridge->part(n, etag); };
    jo.onRetry = [bridge](int n, int attempt, long delayMs, const Error& e) {
      bridge->retry(n, attempt, delayMs, e);
    };
  }
  s.job = engine->newJob(std::move(jo), HostOf(spec));
  if (!s.job) s.bridge->finish(makeError(codes::kEngineClosed, "the engine was closed"), nullptr);
  return s;
}

Napi::Object RejectedHandle(Napi::Env env, const Error& err) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(ErrorToJs(env, err));
  Napi::Object h = Napi::Object::New(env);
  h.Set("promise", deferred.Promise());
  h.Set("cancel", Napi::Function::New(env, [](const Napi::CallbackInfo&) {}));
  return h;
}

}  // namespace uplift::addon
