// Engine: thread ownership, the shared DNS/TLS cache, job creation and shutdown.
#include "engine.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>

#include "io_thread.h"

namespace uplift {

void ensureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    // libcurl opens $SSLKEYLOGFILE at init and appends every TLS session's secrets to it
    // (a file created 0644). Like Node, which needs --tls-keylog, uplift honours it only on
    // an opt-in by name: UPLIFT_TLS_KEYLOG=1. Otherwise the variable is hidden from libcurl
    // for the duration of the init (the only moment it reads it) and then put back.
    const char* keylog = std::getenv("SSLKEYLOGFILE");
    const char* optIn = std::getenv("UPLIFT_TLS_KEYLOG");
    bool hide = keylog != nullptr && !(optIn != nullptr && std::string(optIn) == "1");
    std::string saved = keylog != nullptr ? keylog : "";
    if (hide) unsetenv("SSLKEYLOGFILE");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (hide) setenv("SSLKEYLOGFILE", saved.c_str(), 1);
  });
}

Engine::Engine(EngineOptions opts) : opts_(std::move(opts)), bandwidth_(opts_.maxBytesPerSecond) {
  ensureCurlGlobalInit();
  opts_.threads = std::max(1, std::min(16, opts_.threads));
  share_ = curl_share_init();
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
  curl_share_setopt(share_, CURLSHOPT_LOCKFUNC,
                    +[](CURL*, curl_lock_data data, curl_lock_access, void* self) {
                      static_cast<Engine*>(self)->shareLocks_[data].lock();
                    });
  curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, +[](CURL*, curl_lock_data data, void* self) {
    static_cast<Engine*>(self)->shareLocks_[data].unlock();
  });
  for (int i = 0; i < opts_.threads; ++i) {
    threads_.emplace_back(new IoThread(i, share_, opts_.tls, opts_.maxConnectionsPerHost));
  }
  worker_ = std::thread([this] { workLoop(); });
}

Engine::~Engine() {
  close();
  threads_.clear();  // their pooled easy handles still refer to the share
  curl_share_cleanup(share_);
}

JobOptions Engine::defaultJobOptions() const {
  JobOptions o;
  o.retry = opts_.retry;
  o.timeouts = opts_.timeouts;
  o.proxy = opts_.proxy;
  return o;
}

std::shared_ptr<Job> Engine::newJob(JobOptions opts, const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return nullptr;
  int index = host.empty() ? static_cast<int>(nextThread_++ % threads_.size())
                           : static_cast<int>(std::hash<std::string>{}(host) % threads_.size());
  auto job = std::make_shared<Job>(this, index, std::move(opts));
  jobs_.erase(std::remove_if(jobs_.begin(), jobs_.end(),
                             [](const std::weak_ptr<Job>& w) { return w.expired(); }),
              jobs_.end());
  jobs_.push_back(job);
  if (job->options().timeouts.overallMs > 0) threads_[static_cast<size_t>(index)]->watchDeadline(job);
  if (job->options().control) job->options().control->attach(job);
  return job;
}

void Engine::send(const std::shared_ptr<Job>& job, HttpRequest req, Transfer::Done done) {
  auto t = std::make_shared<Transfer>(job, std::move(req), std::move(done));
  threads_[static_cast<size_t>(job->thread()) % threads_.size()]->submit(std::move(t));
}

bool WorkQueue::post(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    items_.push_back(std::move(work));
  }
  cv_.notify_one();
  return true;
}

bool WorkQueue::next(std::function<void()>* out) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return closed_ || !items_.empty(); });
  if (items_.empty()) return false;  // closed and drained
  *out = std::move(items_.front());
  items_.pop_front();
  return true;
}

void WorkQueue::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool Engine::runWork(std::function<void()> work) { return work_->post(std::move(work)); }

void Engine::workLoop() {
  // Digests yield to the I/O threads and to the JS thread when the cores are busy.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 5);
  std::function<void()> w;
  while (work_->next(&w)) {
    w();
    w = nullptr;
  }
}

void Engine::wakeThread(int index) {
  if (index >= 0 && static_cast<size_t>(index) < threads_.size()) threads_[index]->wake();
}

void Engine::wakeAll() {
  for (auto& t : threads_) t->wake();
}

void Engine::setBandwidth(uint64_t bytesPerSecond) {
  bandwidth_.setRate(bytesPerSecond);
  std::lock_guard<std::mutex> lock(mu_);
  if (!closed_) wakeAll();
}

bool Engine::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

void Engine::close() {
  std::vector<std::shared_ptr<Job>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
    for (auto& w : jobs_) {
      if (auto j = w.lock()) live.push_back(std::move(j));
    }
    jobs_.clear();
  }
  Error reason = makeError(codes::kEngineClosed,
                           "the engine was closed while this upload was running");
  for (auto& j : live) j->cancel(reason);
  work_->close();
  if (worker_.joinable()) worker_.join();  // queued work sees cancelled jobs and ends fast
  for (auto& t : threads_) t->stop(reason);
}

}  // namespace uplift
