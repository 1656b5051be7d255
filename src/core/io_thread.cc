// IoThread: the multi loop, completion classification and retry scheduling.
#include "io_thread.h"

#include <algorithm>

#include "proxy.h"
#include "retry.h"

namespace uplift {

IoThread::IoThread(int index, CURLSH* share, const TlsOptions& tls, long maxConnectionsPerHost)
    : index_(index), share_(share), tls_(tls), multi_(curl_multi_init()),
      rng_(std::random_device{}() + static_cast<unsigned>(index)) {
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, maxConnectionsPerHost * 4);
  thread_ = std::thread([this] { run(); });
}

CURL* IoThread::takeEasy() {
  if (idleEasy_.empty()) return curl_easy_init();
  CURL* easy = idleEasy_.back();
  idleEasy_.pop_back();
  return easy;
}

void IoThread::giveEasy(CURL* easy) {
  constexpr size_t kMaxIdle = 16;
  if (idleEasy_.size() >= kMaxIdle) {
    curl_easy_cleanup(easy);
    return;
  }
  curl_easy_reset(easy);
  idleEasy_.push_back(easy);
}

IoThread::~IoThread() {
  if (thread_.joinable()) stop(makeError(codes::kEngineClosed, "the engine was closed"));
  for (CURL* easy : idleEasy_) curl_easy_cleanup(easy);
  idleEasy_.clear();
  curl_multi_cleanup(multi_);
}

void IoThread::submit(std::shared_ptr<Transfer> t) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      incoming_.push_back(std::move(t));
      activeCount_.fetch_add(1);
      t = nullptr;
    }
  }
  if (t) {
    t->finish(makeError(codes::kEngineClosed, "the engine was closed; create a new Engine"));
    return;
  }
  curl_multi_wakeup(multi_);
}

void IoThread::wake() { curl_multi_wakeup(multi_); }

void IoThread::unpause(std::shared_ptr<Transfer> t) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    unpause_.push_back(std::move(t));
  }
  curl_multi_wakeup(multi_);
}

void IoThread::watchDeadline(const std::shared_ptr<Job>& job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    deadlines_.emplace(job->deadline(), job);
  }
  curl_multi_wakeup(multi_);
}

void IoThread::expireDeadlines() {
  std::vector<std::shared_ptr<Job>> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = Clock::now();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      if (auto j = deadlines_.begin()->second.lock()) due.push_back(std::move(j));
      deadlines_.erase(deadlines_.begin());
    }
  }
  for (auto& j : due) {
    if (j->cancelled()) continue;
    if (j->pastDeadline()) {
      j->cancel(j->overallTimeoutError());
      continue;
    }
    // Paused (the deadline moves by the time spent paused): look again later.
    std::lock_guard<std::mutex> lock(mu_);
    deadlines_.emplace(std::max(j->deadline(), Clock::now() + std::chrono::milliseconds(100)), j);
  }
}

void IoThread::stop(const Error& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    stopReason_ = reason;
  }
  curl_multi_wakeup(multi_);
  if (thread_.joinable()) thread_.join();
}

Error IoThread::cancelError(Transfer& t) const {
  Error e = t.job().cancelReason();
  if (e.code.empty()) e = makeError(codes::kAborted, "the upload was aborted");
  e.partNumber = t.request().partNumber;
  return e;
}

void IoThread::start(std::shared_ptr<Transfer> t) {
  if (t->job().cancelled()) {
    activeCount_.fetch_sub(1);
    t->finish(cancelError(*t));
    return;
  }
  Error err;
  t->setThread(this);
  if (!t->prepare(share_, tls_, &err)) {
    t->endAttempt(false);
    activeCount_.fetch_sub(1);
    t->finish(err);
    return;
  }
  CURL* easy = t->easy();
  active_[easy] = std::move(t);
  curl_multi_add_handle(multi_, easy);
}

void IoThread::failOrRetry(std::shared_ptr<Transfer> t, Error err) {
  const RetryPolicy& policy = t->job().options().retry;
  err.attempts = t->attempt();
  if (t->job().cancelled()) err = cancelError(*t);
  auto now = Clock::now();
  t->markFailure(now);
  bool budget = t->attempt() < policy.maxAttempts;
  // A connection the server dropped while the upload was paused does not use up attempts.
  if (!budget && (t->job().paused() || t->pausedInAttempt())) budget = true;
  if (!budget && policy.maxElapsedMs > 0) {
    budget = now - t->firstFailure() < std::chrono::milliseconds(policy.maxElapsedMs);
  }
  bool again = err.retryable && budget && !t->job().cancelled();
  if (again) {
    std::uniform_real_distribution<double> dist(0.0, 1.0);
    long delay = backoffDelayMs(policy, t->attempt(), err.retryAfterMs, dist(rng_));
    auto due = now + std::chrono::milliseconds(delay);
    if (due < t->job().deadline()) {
      if (t->job().options().onRetry) {
        t->job().options().onRetry(t->request().partNumber, t->attempt(), delay, err);
      }
      waiting_.emplace(due, std::move(t));
      return;
    }
  }
  if (t->job().pastDeadline() && err.code != codes::kAborted && err.timeoutKind != "overall") {
    std::string was = err.message;
    err.code = codes::kTimeout;
    err.timeoutKind = "overall";
    err.retryable = false;
    err.message = "the upload did not finish within the overall timeout (last error: " + was + ")";
  }
  activeCount_.fetch_sub(1);
  t->finish(err);
}

namespace {

// A peer (a broken proxy or gateway) may answer 2xx before it read the body: curl then stops
// sending and reports success. An upload succeeds only when every body byte went out.
// Not retried: such a peer answers the same way again (documented in the README).
Error checkWholeBodySent(CURL* easy, Transfer& t) {
  curl_off_t sent = 0, want = -1;
  curl_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &sent);
  curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_UPLOAD_T, &want);
  if (want <= 0 || sent >= want) return Error();
  const HttpRequest& req = t.request();
  Error e = makeError(
      codes::kBadResponse,
      req.method + " answered HTTP " + std::to_string(t.response().status) + " after only " +
          std::to_string(sent) + " of the " + std::to_string(want) +
          " request body bytes were sent, so the upload is not complete (a proxy or gateway "
          "that answers before reading the body?)");
  e.httpStatus = t.response().status;
  e.partNumber = req.partNumber;
  e.requestId = t.response().header("x-amz-request-id");
  return e;
}

}  // namespace

void IoThread::completed(CURL* easy, CURLcode rc) {
  auto it = active_.find(easy);
  if (it == active_.end()) return;
  std::shared_ptr<Transfer> t = std::move(it->second);
  active_.erase(it);
  curl_multi_remove_handle(multi_, easy);

  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  t->response().status = status;
  curl_off_t connectUs = 0;
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connectUs);
  long reused = 0;
  curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &reused);

  Error err;
  if (rc != CURLE_OK && !t->localError().code.empty()) {
    err = t->localError();  // the source failed, or the answer was too long
    err.curlCode = rc;
    err.partNumber = t->request().partNumber;
  } else if (rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_READ_ERROR) {
    if (t->job().cancelled()) {
      err = cancelError(*t);
    } else if (t->stalled()) {
      err = makeError(codes::kTimeout, "no bytes moved for " +
                                           std::to_string(t->job().options().timeouts.stallMs) +
                                           " ms (stall timeout)");
      err.timeoutKind = "stall";
      err.retryable = true;
    } else if (t->responseTimedOut()) {
      err = makeError(codes::kTimeout,
                      "the server's answer did not end within " +
                          std::to_string(t->job().options().timeouts.responseMs) +
                          " ms after the request was sent (timeouts.responseMs)");
      err.timeoutKind = "response";
      err.httpStatus = t->response().status;
    } else if (t->job().pastDeadline()) {
      err = t->job().overallTimeoutError();
    } else {
      err = makeError(codes::kInternal, "the transfer was stopped for an unknown reason");
    }
    err.curlCode = rc;
    err.partNumber = t->request().partNumber;
  } else {
    bool connected = connectUs > 0 || status > 0;
    err = classifyOutcome(rc, t->errorText(), connected, t->request(), t->response());
    if (!err.code.empty()) {
      refineProxyError(easy, rc, t->job().options().proxy, t->request().url, status, &err);
    }
    if (err.code.empty()) err = checkWholeBodySent(easy, *t);
  }
  bool ok = err.code.empty();
  t->endAttempt(ok);
  if (ok) {
    activeCount_.fetch_sub(1);
    t->finish(err);
  } else {
    failOrRetry(std::move(t), std::move(err));
  }
}

void IoThread::sweepCancelled() {
  for (auto it = active_.begin(); it != active_.end();) {
    if (it->second->job().cancelled()) {
      std::shared_ptr<Transfer> t = std::move(it->second);
      CURL* easy = it->first;
      it = active_.erase(it);
      curl_multi_remove_handle(multi_, easy);
      t->endAttempt(false);
      activeCount_.fetch_sub(1);
      t->finish(cancelError(*t));
    } else {
      ++it;
    }
  }
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second->job().cancelled()) {
      std::shared_ptr<Transfer> t = std::move(it->second);
      it = waiting_.erase(it);
      activeCount_.fetch_sub(1);
      t->finish(cancelError(*t));
    } else {
      ++it;
    }
  }
}

void IoThread::ungate() {
  if (gated_.empty()) return;
  std::vector<std::shared_ptr<Transfer>> held;
  held.swap(gated_);
  for (auto& t : held) {
    CURL* easy = t->easy();
    auto it = easy ? active_.find(easy) : active_.end();
    if (it == active_.end() || it->second != t) continue;  // finished, cancelled or reused
    if (!t->gated()) continue;
    if (t->job().paused() || !t->hasTokens()) {
      gated_.push_back(std::move(t));
      continue;
    }
    t->clearGate();
    curl_easy_pause(easy, CURLPAUSE_CONT);  // reads again at once; may gate again
  }
}

long IoThread::pollTimeoutMs() {
  long timeout = 1000;
  for (const auto& t : gated_) {
    // A capped transfer looks again soon; a paused one waits for resume() to wake the loop.
    if (!t->job().paused()) {
      timeout = 5;
      break;
    }
  }
  long curlTimeout = -1;
  curl_multi_timeout(multi_, &curlTimeout);
  if (curlTimeout >= 0 && curlTimeout < timeout) timeout = curlTimeout;
  if (!waiting_.empty()) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(waiting_.begin()->first -
                                                                    Clock::now())
                  .count();
    if (ms < 0) ms = 0;
    if (ms < timeout) timeout = static_cast<long>(ms);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!deadlines_.empty()) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadlines_.begin()->first -
                                                                    Clock::now())
                  .count();
    if (ms < 0) ms = 0;
    if (ms < timeout) timeout = static_cast<long>(ms);
  }
  return timeout;
}

void IoThread::run() {
  for (;;) {
    std::vector<std::shared_ptr<Transfer>> fresh;
    std::vector<std::shared_ptr<Transfer>> resume;
    bool stopping;
    Error reason;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fresh.swap(incoming_);
      resume.swap(unpause_);
      stopping = stopping_;
      reason = stopReason_;
    }
    if (stopping) {
      // Finish everything still here with the stop reason, then leave.
      for (auto& t : fresh) {
        activeCount_.fetch_sub(1);
        t->finish(reason);
      }
      for (auto& kv : active_) {
        curl_multi_remove_handle(multi_, kv.first);
        kv.second->endAttempt(false);
        activeCount_.fetch_sub(1);
        kv.second->finish(reason);
      }
      active_.clear();
      for (auto& kv : waiting_) {
        activeCount_.fetch_sub(1);
        kv.second->finish(reason);
      }
      waiting_.clear();
      gated_.clear();
      std::lock_guard<std::mutex> lock(mu_);
      if (incoming_.empty()) return;
      continue;  // finish() callbacks may have submitted more: fail those too
    }
    for (auto& t : fresh) start(std::move(t));
    for (auto& t : resume) {
      CURL* easy = t->easy();
      if (easy && active_.count(easy)) curl_easy_pause(easy, CURLPAUSE_CONT);
    }
    auto now = Clock::now();
    while (!waiting_.empty() && waiting_.begin()->first <= now) {
      std::shared_ptr<Transfer> t = std::move(waiting_.begin()->second);
      waiting_.erase(waiting_.begin());
      start(std::move(t));
    }
    expireDeadlines();
    sweepCancelled();
    ungate();

    int running = 0;
    curl_multi_perform(multi_, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg == CURLMSG_DONE) completed(msg->easy_handle, msg->data.result);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!incoming_.empty() || !unpause_.empty() || stopping_) continue;
    }
    curl_multi_poll(multi_, nullptr, 0, static_cast<int>(pollTimeoutMs()), nullptr);
  }
}

}  // namespace uplift
