// TokenBucket and UploadControl.
#include "bandwidth.h"

#include "engine.h"
#include "job.h"

#include <algorithm>
#include <limits>

namespace uplift {

namespace {
// The burst a bucket can hold: 1/20 s of its rate, at least 4 KiB so that slow caps still
// send reasonably sized writes.
double capacityOf(uint64_t rate) { return std::max(4096.0, static_cast<double>(rate) / 20.0); }
}  // namespace

TokenBucket::TokenBucket(uint64_t bytesPerSecond) : rate_(bytesPerSecond), last_(Clock::now()) {}

void TokenBucket::refillLocked(Clock::time_point now) {
  uint64_t r = rate_.load(std::memory_order_relaxed);
  double secs = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  if (r == 0) return;
  tokens_ = std::min(capacityOf(r), tokens_ + secs * static_cast<double>(r));
}

void TokenBucket::setRate(uint64_t bytesPerSecond) {
  std::lock_guard<std::mutex> lock(mu_);
  refillLocked(Clock::now());  // the time so far counts at the old rate
  rate_.store(bytesPerSecond, std::memory_order_relaxed);
  if (bytesPerSecond == 0) {
    tokens_ = 0;
  } else {
    tokens_ = std::min(tokens_, capacityOf(bytesPerSecond));
  }
}

uint64_t TokenBucket::available(uint64_t want) {
  if (rate_.load(std::memory_order_relaxed) == 0) return want;
  std::lock_guard<std::mutex> lock(mu_);
  refillLocked(Clock::now());
  if (rate_.load(std::memory_order_relaxed) == 0) return want;
  if (tokens_ < 1) return 0;
  return std::min<uint64_t>(want, static_cast<uint64_t>(tokens_));
}

void TokenBucket::take(uint64_t bytes) {
  if (rate_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ -= static_cast<double>(bytes);
}

void TokenBucket::giveBack(uint64_t bytes) {
  if (rate_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ = std::min(capacityOf(rate_.load(std::memory_order_relaxed)),
                     tokens_ + static_cast<double>(bytes));
}

uint64_t grantFrom(const std::vector<TokenBucket*>& buckets, uint64_t want) {
  uint64_t n = want;
  for (TokenBucket* b : buckets) {
    if (b && n > 0) n = b->available(n);
  }
  if (n == 0) return 0;
  for (TokenBucket* b : buckets) {
    if (b) b->take(n);
  }
  return n;
}

void UploadControl::pause() {
  std::lock_guard<std::mutex> lock(mu_);
  if (paused_.load(std::memory_order_relaxed)) return;
  pausedSince_ = Clock::now();
  paused_.store(true, std::memory_order_release);
}

bool UploadControl::resume() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!paused_.load(std::memory_order_relaxed)) return false;
    pausedTotalMs_ +=
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - pausedSince_).count();
    paused_.store(false, std::memory_order_release);
  }
  wakeJobs();
  return true;
}

void UploadControl::attach(const std::shared_ptr<Job>& job) {
  std::lock_guard<std::mutex> lock(jobsMu_);
  jobs_.erase(std::remove_if(jobs_.begin(), jobs_.end(),
                             [](const std::weak_ptr<Job>& w) { return w.expired(); }),
              jobs_.end());
  jobs_.push_back(job);
}

void UploadControl::wakeJobs() {
  std::vector<std::shared_ptr<Job>> live;
  {
    std::lock_guard<std::mutex> lock(jobsMu_);
    for (auto& w : jobs_) {
      if (auto j = w.lock()) live.push_back(std::move(j));
    }
  }
  for (auto& j : live) {
    if (j->engine() && !j->engine()->closed()) j->engine()->wakeThread(j->thread());
  }
}

int64_t UploadControl::pausedMs() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t total = pausedTotalMs_;
  if (paused_.load(std::memory_order_relaxed)) {
    total +=
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - pausedSince_).count();
  }
  return total;
}

}  // namespace uplift
