// A Job is one user-visible upload (one PUT, one form POST, or all parts of a multipart
// upload): it carries cancellation, progress counters, the deadline and the options that
// every transfer of the job shares. Counters are atomics: any engine thread may touch them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bandwidth.h"
#include "error.h"
#include "http.h"
#include "proxy.h"

namespace uplift {

class Engine;

struct Progress {
  uint64_t bytesSent = 0;
  uint64_t totalBytes = 0;
  uint32_t partsDone = 0;
  uint32_t partsTotal = 0;
};

// Called on engine threads, at most every progressIntervalMs and once more at the end
// (by the job's owner). Must be cheap and thread-safe.
using ProgressFn = std::function<void(const Progress&)>;

// Called on engine threads each time a part or chunk is stored (etag quoted as the server
// sent it; empty for chunk flows without ETags). For resume journals.
using PartFn = std::function<void(int partNumber, const std::string& etag)>;

// Called on the I/O thread when a failed attempt will be retried after delayMs.
using RetryFn = std::function<void(int partNumber, int attempt, long delayMs, const Error& err)>;

struct JobOptions {
  RetryPolicy retry;
  Timeouts timeouts;
  ProgressFn onProgress;
  PartFn onPart;
  RetryFn onRetry;
  long progressIntervalMs = 100;
  ProxySettings proxy;
  uint64_t maxBytesPerSecond = 0;          // this job's own cap; 0 = none
  std::shared_ptr<UploadControl> control;  // pause/resume and a cap shared with other jobs
};

class Job {
 public:
  using Clock = std::chrono::steady_clock;

  Job(Engine* engine, int thread, JobOptions opts);

  // Thread-safe. The first reason wins; transfers of the job stop promptly.
  void cancel(Error reason);
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  Error cancelReason() const;
  // Thread-safe. fn runs once when the job is cancelled, on the cancelling thread and outside
  // the job's lock (at once, on this thread, when it already is; then 0 is returned). For
  // work parked outside the I/O threads (a digest waiting on a stream) that must wake up.
  int onCancel(std::function<void()> fn);
  void removeOnCancel(int id);  // no effect once the hook ran or for id 0

  void setTotals(uint64_t totalBytes, uint32_t partsTotal);
  void addSent(int64_t delta);  // negative when a failed attempt's bytes are rolled back
  void partDone();
  Progress snapshot() const;
  // Emits progress when the interval has passed (or always when force).
  void maybeEmitProgress(bool force);

  int thread() const { return thread_; }
  Engine* engine() const { return engine_; }
  const JobOptions& options() const { return opts_; }
  // Time left before the overall timeout, or a very large value when none.
  bool pastDeadline() const;
  // ERR_UPLIFT_TIMEOUT, kind "overall", naming timeouts.overallMs.
  Error overallTimeoutError() const;
  // The overall deadline, moved later by the time the job spent paused.
  Clock::time_point deadline() const;
  // True while the job's upload control is paused (transfers hold their body bytes).
  bool paused() const { return opts_.control && opts_.control->paused(); }
  // The bandwidth buckets the job's body bytes draw from (engine, control, job).
  const std::vector<TokenBucket*>& buckets() const { return buckets_; }
  TokenBucket& ownBucket() { return bucket_; }

 private:
  Engine* engine_;
  int thread_;
  JobOptions opts_;
  Clock::time_point deadline_;
  int64_t pausedAtStartMs_ = 0;  // the control's paused time when the job began
  TokenBucket bucket_;
  std::vector<TokenBucket*> buckets_;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex reasonMu_;
  Error reason_;  // guarded by reasonMu_
  std::map<int, std::function<void()>> cancelHooks_;  // guarded by reasonMu_
  int nextHook_ = 1;                                   // guarded by reasonMu_
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> total_{0};
  std::atomic<uint32_t> partsDone_{0};
  std::atomic<uint32_t> partsTotal_{0};
  std::atomic<int64_t> lastEmitMs_{0};
};

}  // namespace uplift
