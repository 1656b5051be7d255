// Waiting on engine callbacks from a test thread. The engine calls `done` once, on one of its
// own threads; an Outcome records that call (error, result, call count, time) and lets the
// test wait for it with a timeout. ProgressLog records every progress snapshot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "error.h"
#include "job.h"

namespace uplift::testing {

using Clock = std::chrono::steady_clock;

inline int64_t msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// One operation's completion. The callback keeps the shared state alive, so a late call after
// the Outcome is gone is harmless. Thread-safe.
template <class Result>
class Outcome {
 public:
  Outcome() : s_(std::make_shared<State>()) {}

  // The `done` to hand to putPresigned, postPresignedForm or uploadPresignedParts.
  std::function<void(const Error&, Result&)> callback() {
    std::shared_ptr<State> s = s_;
    return [s](const Error& e, Result& r) {
      std::lock_guard<std::mutex> lock(s->mu);
      if (++s->calls == 1) {
        s->err = e;
        s->result = r;
        s->at = Clock::now();
        s->thread = std::this_thread::get_id();
      }
      s->cv.notify_all();
    };
  }

  // True once the callback has run; false after `timeout` (ms) without it.
  bool wait(long timeoutMs = 20000) {
    std::unique_lock<std::mutex> lock(s_->mu);
    return s_->cv.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                           [this] { return s_->calls > 0; });
  }

  // The accessors below are meant for after wait() returned true.
  int calls() const { std::lock_guard<std::mutex> lock(s_->mu); return s_->calls; }
  Error error() const { std::lock_guard<std::mutex> lock(s_->mu); return s_->err; }
  Result result() const { std::lock_guard<std::mutex> lock(s_->mu); return s_->result; }
  Clock::time_point doneAt() const { std::lock_guard<std::mutex> lock(s_->mu); return s_->at; }
  std::thread::id thread() const { std::lock_guard<std::mutex> lock(s_->mu); return s_->thread; }

 private:
  struct State {
    std::mutex mu;  // guards every member below
    std::condition_variable cv;
    int calls = 0;
    Error err;
    Result result;
    Clock::time_point at;
    std::thread::id thread;
  };
  std::shared_ptr<State> s_;
};

// Every progress snapshot a job emitted, in emission order. Thread-safe.
class ProgressLog {
 public:
  ProgressLog() : s_(std::make_shared<State>()) {}

  ProgressFn callback() {
    std::shared_ptr<State> s = s_;
    return [s](const Progress& p) {
      std::lock_guard<std::mutex> lock(s->mu);
      s->events.push_back(p);
    };
  }
  std::vector<Progress> events() const {
    std::lock_guard<std::mutex> lock(s_->mu);
    return s_->events;
  }

 private:
  struct State {
    std::mutex mu;  // guards events
    std::vector<Progress> events;
  };
  std::shared_ptr<State> s_;
};

// Polls pred every 5 ms for up to timeoutMs; true as soon as it holds.
template <class Pred>
bool eventually(Pred pred, long timeoutMs = 5000) {
  auto start = Clock::now();
  for (;;) {
    if (pred()) return true;
    if (msSince(start) >= timeoutMs) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace uplift::testing
