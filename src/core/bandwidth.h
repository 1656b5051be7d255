// Bandwidth caps and pausing shared by transfers on any I/O thread.
//
// A TokenBucket holds the bytes a set of transfers may still send now: the engine has one
// for all its uploads, a job one for its own cap, an upload control one more. A transfer
// asks every bucket it is subject to before reading body bytes; when one is empty it pauses
// its read (CURL_READFUNC_PAUSE) and its I/O thread retries a few milliseconds later. A
// bucket with rate 0 is unlimited. Buckets may go into debt (several threads take at once);
// the debt is paid back before anything more is granted.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace uplift {

class Job;

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  explicit TokenBucket(uint64_t bytesPerSecond = 0);

  // Any thread. 0 = unlimited. Takes effect at once for every transfer.
  void setRate(uint64_t bytesPerSecond);
  uint64_t rate() const { return rate_.load(std::memory_order_relaxed); }
  // Bytes that may be sent now (up to `want`); SIZE_MAX-like `want` when unlimited.
  uint64_t available(uint64_t want);
  // Records bytes sent (may go into debt).
  void take(uint64_t bytes);
  // Gives back bytes that were granted but not used.
  void giveBack(uint64_t bytes);

 private:
  void refillLocked(Clock::time_point now);
  std::atomic<uint64_t> rate_;
  std::mutex mu_;  // guards the two below
  double tokens_ = 0;
  Clock::time_point last_;
};

// Grants up to `want` bytes from every non-null bucket at once; 0 when one is empty.
uint64_t grantFrom(const std::vector<TokenBucket*>& buckets, uint64_t want);

// Pause/resume and a bandwidth cap for one or more jobs (a user's upload controller). Jobs
// keep a shared_ptr; paused time is excluded from their overall timeout.
class UploadControl {
 public:
  using Clock = std::chrono::steady_clock;
  UploadControl() = default;

  void pause();
  // Returns true when the control was paused.
  bool resume();
  bool paused() const { return paused_.load(std::memory_order_acquire); }
  // Milliseconds spent paused so far, the current pause included.
  int64_t pausedMs() const;
  TokenBucket& bucket() { return bucket_; }
  // Registers a job so that resume() and setRate() wake its I/O thread at once.
  void attach(const std::shared_ptr<Job>& job);
  // Wakes the I/O threads of the attached jobs still running.
  void wakeJobs();

 private:
  std::mutex jobsMu_;  // guards jobs_
  std::vector<std::weak_ptr<Job>> jobs_;
  std::atomic<bool> paused_{false};
  mutable std::mutex mu_;  // guards the two below
  int64_t pausedTotalMs_ = 0;
  Clock::time_point pausedSince_;
  TokenBucket bucket_;
};

}  // namespace uplift
