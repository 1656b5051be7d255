// The upload engine: owns its I/O threads (libcurl multi loops), a worker thread for digest
// work, and the DNS/TLS-session cache they share. Knows nothing of Node. Thread-safe.
#pragma once

#include <curl/curl.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "error.h"
#include "http.h"
#include "job.h"
#include "transfer.h"

namespace uplift {

class IoThread;

// The worker thread's queue, shared so that callbacks which may fire after the engine is
// gone (a stream producer pushing late) can post safely: post() says false once closed.
class WorkQueue {
 public:
  bool post(std::function<void()> work);
  // Worker side: the next item, or false once closed and drained.
  bool next(std::function<void()>* out);
  void close();

 private:
  std::mutex mu_;  // guards the two below
  std::deque<std::function<void()>> items_;
  bool closed_ = false;
  std::condition_variable cv_;
};

struct EngineOptions {
  int threads = 2;                  // I/O threads (1..16)
  long maxConnectionsPerHost = 8;   // per I/O thread
  TlsOptions tls;
  RetryPolicy retry;                // defaults for jobs
  Timeouts timeouts;                // defaults for jobs
  ProxySettings proxy;              // defaults for jobs
  uint64_t maxBytesPerSecond = 0;   // all uploads of the engine together; 0 = no cap
};

class Engine {
 public:
  explicit Engine(EngineOptions opts);
  ~Engine();  // close()s
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const EngineOptions& options() const { return opts_; }

  // Creates a job pinned to one I/O thread, so its transfers share connections: the thread
  // of `host` (scheme://host:port) when given, so that every job to one host reuses one
  // thread's connection cache; round robin otherwise. nullptr once the engine is closed.
  std::shared_ptr<Job> newJob(JobOptions opts, const std::string& host = std::string());
  JobOptions defaultJobOptions() const;

  // Runs req on the job's I/O thread with retries; done is called once on that thread.
  void send(const std::shared_ptr<Job>& job, HttpRequest req, Transfer::Done done);
  // Runs CPU work (digests) on the worker thread; with a closed engine, runs nothing and
  // returns false.
  bool runWork(std::function<void()> work);
  const std::shared_ptr<WorkQueue>& workQueue() const { return work_; }

  void wakeThread(int index);
  void wakeAll();
  // The engine-wide bandwidth cap (bytes per second, 0 = none); any thread, at any time.
  void setBandwidth(uint64_t bytesPerSecond);
  TokenBucket& bandwidth() { return bandwidth_; }
  // Rejects new work, cancels every job still running with ERR_UPLIFT_ENGINE_CLOSED and
  // joins the threads. Must not be called from an engine thread. Idempotent.
  void close();
  bool closed() const;

 private:
  void workLoop();

  EngineOptions opts_;
  CURLSH* share_;
  TokenBucket bandwidth_;
  std::mutex shareLocks_[CURL_LOCK_DATA_LAST];
  std::vector<std::unique_ptr<IoThread>> threads_;

  mutable std::mutex mu_;  // guards the members below
  bool closed_ = false;
  unsigned nextThread_ = 0;
  std::vector<std::weak_ptr<Job>> jobs_;
  std::shared_ptr<WorkQueue> work_ = std::make_shared<WorkQueue>();
  std::thread worker_;
};

// curl_global_init once per process; never cleaned up while threads may run.
void ensureCurlGlobalInit();

}  // namespace uplift
