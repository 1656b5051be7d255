// One HTTP request of a job, possibly attempted several times. Owned by the I/O thread that
// runs it from submit to completion: all members below are touched only by that thread,
// except `job` (shared, thread-safe) and the immutable request.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <functional>
#include <memory>

#include "error.h"
#include "http.h"
#include "job.h"
#include "md5.h"

namespace uplift {

class IoThread;

class Transfer : public std::enable_shared_from_this<Transfer> {
 public:
  // Called once on the I/O thread with err.code empty on success.
  using Done = std::function<void(const Error& err, HttpResponse& resp)>;

  Transfer(std::shared_ptr<Job> job, HttpRequest req, Done done);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Prepares a fresh easy handle for the next attempt. False with *err when it cannot.
  bool prepare(CURLSH* share, const TlsOptions& tls, Error* err);
  // Releases the attempt's handle and rolls back bytes counted for progress.
  void endAttempt(bool success);

  CURL* easy() const { return easy_; }
  const HttpRequest& request() const { return req_; }
  HttpResponse& response() { return resp_; }
  Job& job() { return *job_; }
  const std::shared_ptr<Job>& jobPtr() const { return job_; }
  int attempt() const { return attempt_; }
  const char* errorText() const { return errbuf_; }
  // Set when the read callback failed (source error) or the stall watchdog fired.
  const Error& localError() const { return localError_; }
  bool stalled() const { return stalled_; }
  bool responseTimedOut() const { return responseTimedOut_; }
  void finish(const Error& err);
  // Set by the I/O thread that runs this transfer (for unpausing after a stream stall).
  void setThread(IoThread* thread) { thread_ = thread; }
  // Held back by a bandwidth cap or a paused upload (its I/O thread unpauses it).
  bool gated() const { return gated_; }
  // True when this attempt was held by a paused upload at some point.
  bool pausedInAttempt() const { return pausedInAttempt_; }
  void clearGate() { gated_ = false; }
  // True when every bandwidth bucket of the job has bytes to give now.
  bool hasTokens() const;
  // When the first attempt of this request failed (for retry.maxElapsedMs).
  bool failedBefore() const { return failedBefore_; }
  std::chrono::steady_clock::time_point firstFailure() const { return firstFailure_; }
  void markFailure(std::chrono::steady_clock::time_point at) {
    if (!failedBefore_) firstFailure_ = at;
    failedBefore_ = true;
  }

 private:
  static size_t onRead(char* buf, size_t size, size_t n, void* self);
  static int onSeek(void* self, curl_off_t offset, int origin);
  static size_t onHeader(char* buf, size_t size, size_t n, void* self);
  static size_t onWrite(char* buf, size_t size, size_t n, void* self);
  static int onProgress(void* self, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                        curl_off_t ulnow);
  size_t readBody(const BodyRange& range, uint64_t* pos, char* buf, size_t max);
  bool buildForm(Error* err);

  const BodyRange& streamedRange() const { return req_.isForm ? req_.form.file : req_.body; }
  size_t pauseForData(uint64_t offset);
  size_t gate();

  std::shared_ptr<Job> job_;
  IoThread* thread_ = nullptr;
  int urlReader_ = 0;           // the UrlSource reader (ranged GET) of this attempt's body
  int streamHold_ = 0;          // hold on a StreamSource body, moved as bytes are sent
  bool waitingForData_ = false; // paused until the stream producer pushes more
  bool gated_ = false;          // paused by a bandwidth cap or pause()
  bool pausedInAttempt_ = false;
  bool failedBefore_ = false;
  std::chrono::steady_clock::time_point firstFailure_;
  const HttpRequest req_;
  Done done_;
  HttpResponse resp_;
  CURL* easy_ = nullptr;
  curl_mime* mime_ = nullptr;
  curl_slist* headerList_ = nullptr;
  int attempt_ = 0;
  uint64_t readPos_ = 0;     // offset within the body (or form file) of the next read
  uint64_t formFilePos_ = 0;
  int64_t counted_ = 0;      // bytes added to job progress in this attempt
  uint64_t lastUl_ = 0, lastDl_ = 0;
  std::chrono::steady_clock::time_point lastActivity_;
  bool stalled_ = false;
  uint64_t responseBytes_ = 0;  // answer body bytes received in this attempt
  bool answering_ = false;      // the request was sent or a final answer began
  std::chrono::steady_clock::time_point answerSince_;
  bool responseTimedOut_ = false;
  bool finished_ = false;
  Error localError_;
  char errbuf_[CURL_ERROR_SIZE];
};

}  // namespace uplift
