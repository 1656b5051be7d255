// Job: cancellation, progress and deadline shared by every transfer of one upload.
#include "job.h"

#include "engine.h"

namespace uplift {

namespace {
int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             Job::Clock::now().time_since_epoch())
      .count();
}
}  // namespace

Job::Job(Engine* engine, int thread, JobOptions opts)
    : engine_(engine), thread_(thread), opts_(std::move(opts)), bucket_(opts_.maxBytesPerSecond) {
  deadline_ = opts_.timeouts.overallMs > 0
                  ? Clock::now() + std::chrono::milliseconds(opts_.timeouts.overallMs)
                  : Clock::time_point::max();
  if (opts_.control) pausedAtStartMs_ = opts_.control->pausedMs();
  if (engine_) buckets_.push_back(&engine_->bandwidth());
  if (opts_.control) buckets_.push_back(&opts_.control->bucket());
  buckets_.push_back(&bucket_);
}

Job::Clock::time_point Job::deadline() const {
  if (!opts_.control || deadline_ == Clock::time_point::max()) return deadline_;
  return deadline_ + std::chrono::milliseconds(opts_.control->pausedMs() - pausedAtStartMs_);
}

void Job::cancel(Error reason) {
  std::map<int, std::function<void()>> hooks;
  {
    std::lock_guard<std::mutex> lock(reasonMu_);
    if (cancelled_.load(std::memory_order_acquire)) return;
    reason_ = std::move(reason);
    cancelled_.store(true, std::memory_order_release);
    hooks.swap(cancelHooks_);
  }
  for (auto& h : hooks) h.second();
  if (engine_) engine_->wakeThread(thread_);
}

int Job::onCancel(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(reasonMu_);
    if (!cancelled_.load(std::memory_order_acquire)) {
      int id = nextHook_++;
      cancelHooks_.emplace(id, std::move(fn));
      return id;
    }
  }
  fn();
  return 0;
}

void Job::removeOnCancel(int id) {
  if (id == 0) return;
  std::function<void()> gone;  // destroyed outside the lock
  std::lock_guard<std::mutex> lock(reasonMu_);
  auto it = cancelHooks_.find(id);
  if (it == cancelHooks_.end()) return;
  gone = std::move(it->second);
  cancelHooks_.erase(it);
}

Error Job::cancelReason() const {
  std::lock_guard<std::mutex> lock(reasonMu_);
  return reason_;
}

void Job::setTotals(uint64_t totalBytes, uint32_t partsTotal) {
  total_.store(totalBytes);
  partsTotal_.store(partsTotal);
}

void Job::addSent(int64_t delta) {
  if (delta >= 0) {
    sent_.fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed);
  } else {
    sent_.fetch_sub(static_cast<uint64_t>(-delta), std::memory_order_relaxed);
  }
}

void Job::partDone() { partsDone_.fetch_add(1, std::memory_order_relaxed); }

Progress Job::snapshot() const {
  Progress p;
  p.bytesSent = sent_.load(std::memory_order_relaxed);
  p.totalBytes = total_.load(std::memory_order_relaxed);
  p.partsDone = partsDone_.load(std::memory_order_relaxed);
  p.partsTotal = partsTotal_.load(std::memory_order_relaxed);
  if (p.bytesSent > p.totalBytes) p.bytesSent = p.totalBytes;
  return p;
}

void Job::maybeEmitProgress(bool force) {
  if (!opts_.onProgress) return;
  int64_t now = nowMs();
  int64_t last = lastEmitMs_.load(std::memory_order_relaxed);
  if (!force) {
    if (now - last < opts_.progressIntervalMs) return;
    if (!lastEmitMs_.compare_exchange_strong(last, now)) return;  // another thread emits
  } else {
    lastEmitMs_.store(now);
  }
  Progress p = snapshot();
  // The finished state is reported once, by the owner's forced call at the end.
  if (!force && p.partsTotal > 0 && p.partsDone >= p.partsTotal && p.bytesSent >= p.totalBytes) {
    return;
  }
  opts_.onProgress(p);
}

bool Job::pastDeadline() const { return !paused() && Clock::now() >= deadline(); }

Error Job::overallTimeoutError() const {
  Error e = makeError(codes::kTimeout, "the upload did not finish within the overall timeout of " +
                                           std::to_string(opts_.timeouts.overallMs) +
                                           " ms (timeouts.overallMs)");
  e.timeoutKind = "overall";
  return e;
}

}  // namespace uplift
