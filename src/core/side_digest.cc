#include "side_digest.h"

#include "digest.h"
#include "stream_source.h"
#include "url_source.h"

namespace uplift {

namespace {
constexpr const char* kEmptyMd5 = "d41d8cd98f00b204e9800998ecf8427e";
}  // namespace

std::shared_ptr<SideDigest> SideDigest::make(Engine& engine, std::shared_ptr<Job> job, BodyRange range,
                                             bool hash) {
  return std::shared_ptr<SideDigest>(new SideDigest(engine, std::move(job), std::move(range), hash));
}

SideDigest::SideDigest(Engine& engine, std::shared_ptr<Job> job, BodyRange range, bool hash)
    : engine_(engine), job_(std::move(job)), range_(std::move(range)), hash_(hash) {}

void SideDigest::start(const std::function<void()>& send) {
  const std::shared_ptr<Source>& source = range_.source;
  // Nothing to read: no source (the empty body), or a source that is not a stream when no
  // MD5 is wanted (only a stream's end needs checking then).
  if (!source || (!hash_ && !asStream(source))) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      digestDone_ = true;
      if (!source) md5_ = kEmptyMd5;
    }
    if (send) send();
    return;
  }
  StreamHoldScope hold(source, range_.offset);  // until the request's transfer holds the bytes
  std::shared_ptr<SideDigest> self = shared_from_this();
  digestAsync(
      engine_, job_, range_, [self](const Error& e, const std::string& md5) { self->digestEnded(e, md5); }, stop_,
      hash_);
  if (send) send();
}

void SideDigest::digestEnded(const Error& e, const std::string& md5) {
  std::unique_lock<std::mutex> lock(mu_);
  digestDone_ = true;
  if (e.code.empty()) {
    if (hash_) md5_ = md5;
  } else if (!stop_->load() && !job_->cancelled()) {
    // The source failed: stop the transfer too. (The error of a digest stopped by a failed
    // transfer, or of a job cancelled by someone else, is not news.)
    sourceFailed_ = true;
    digestErr_ = e;
    lock.unlock();
    job_->cancel(e);
    lock.lock();
  }
  maybeFinish(lock);
}

void SideDigest::transferEnded(const Error& e, Done done) {
  std::unique_lock<std::mutex> lock(mu_);
  transferDone_ = true;
  transferErr_ = e;
  done_ = std::move(done);
  if (!e.code.empty() && !digestDone_) {
    stop_->store(true);
    lock.unlock();
    // A digest parked on the source sees the stop only when woken.
    if (StreamSource* s = asStream(range_.source)) s->wakeWaiters();
    if (UrlSource* u = asUrl(range_.source)) u->wakeWaiters();
    lock.lock();
  }
  maybeFinish(lock);
}

bool SideDigest::sourceFailed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sourceFailed_;
}

void SideDigest::maybeFinish(std::unique_lock<std::mutex>& lock) {
  if (!digestDone_ || !transferDone_ || !done_) return;
  Done done = std::move(done_);
  done_ = nullptr;
  Error err = sourceFailed_ ? digestErr_ : transferErr_;
  std::string md5 = err.code.empty() ? md5_ : std::string();
  lock.unlock();
  done(err, md5);
}

}  // namespace uplift
