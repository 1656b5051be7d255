// One I/O thread: a libcurl multi handle driving many transfers at once, with the retry
// timers of the transfers it owns. Connections are cached per thread (libcurl does not allow
// sharing one connection cache across threads); DNS and TLS sessions are shared engine-wide.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http.h"
#include "transfer.h"

namespace uplift {

class IoThread {
 public:
  IoThread(int index, CURLSH* share, const TlsOptions& tls, long maxConnectionsPerHost);
  ~IoThread();

  // Any thread. The transfer runs on this thread from now on.
  void submit(std::shared_ptr<Transfer> t);
  // Any thread: wakes the loop (to notice cancellations).
  void wake();
  // Any thread: resumes a transfer paused while its stream had no bytes yet.
  void unpause(std::shared_ptr<Transfer> t);
  // Any thread: at its deadline (overallMs) the job is cancelled with an overall-timeout
  // error, whatever it waits on then (the network, a stream's producer, a digest).
  void watchDeadline(const std::shared_ptr<Job>& job);
  // I/O thread only (from a read callback): the transfer paused its body for a bandwidth
  // cap or a paused upload; the loop unpauses it when both allow.
  void gate(std::shared_ptr<Transfer> t) { gated_.push_back(std::move(t)); }
  // Any thread but this one: every transfer still here finishes with `reason`; joins.
  void stop(const Error& reason);
  size_t activeCount() const { return activeCount_.load(); }
  // I/O thread only: easy handles are reused across transfers (their 512 KiB upload buffer
  // and state are allocated once), reset between uses.
  CURL* takeEasy();
  void giveEasy(CURL* easy);

 private:
  using Clock = std::chrono::steady_clock;
  void run();
  void start(std::shared_ptr<Transfer> t);
  void completed(CURL* easy, CURLcode rc);
  void failOrRetry(std::shared_ptr<Transfer> t, Error err);
  void sweepCancelled();
  void expireDeadlines();
  void ungate();
  long pollTimeoutMs();
  Error cancelError(Transfer& t) const;

  const int index_;
  CURLSH* share_;
  TlsOptions tls_;
  CURLM* multi_;
  std::thread thread_;
  std::atomic<size_t> activeCount_{0};

  std::mutex mu_;  // guards the five below
  std::vector<std::shared_ptr<Transfer>> incoming_;
  std::vector<std::shared_ptr<Transfer>> unpause_;
  bool stopping_ = false;
  Error stopReason_;
  std::multimap<Clock::time_point, std::weak_ptr<Job>> deadlines_;  // jobs by deadline

  // Owned by the I/O thread only.
  std::unordered_map<CURL*, std::shared_ptr<Transfer>> active_;
  std::multimap<Clock::time_point, std::shared_ptr<Transfer>> waiting_;  // retries by due time
  std::vector<CURL*> idleEasy_;
  std::vector<std::shared_ptr<Transfer>> gated_;  // paused by a cap or pause(), still active
  std::mt19937_64 rng_;
};

}  // namespace uplift
