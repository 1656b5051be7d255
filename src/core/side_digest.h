// The MD5 of a body taken beside the transfer(s) that send the same bytes, and the join of
// the two sides. Every flow that hashes what it sends goes through it (the primitives' PUT,
// form and parts; Kore's POST and chunks; Eka's streamed files), so all follow one set of
// rules:
//  - start() holds a stream's bytes from the body's start while it starts the digest and
//    hands the request(s) to the engine: the digest runs on another thread and must not read
//    ahead and let bytes go that no transfer holds yet;
//  - a transfer that failed stops the digest (a reader parked on the source is woken), and
//    the transfer's error is the one reported; the job is not cancelled, so a flow may go on
//    with it (e.g. presign again and re-send);
//  - a digest that failed on its own (the source failed, changed, or was shorter or longer
//    than its size) cancels the job, so the transfer stops too, and its error is reported:
//    it is the cause;
//  - the flow's continuation runs once both sides ended, never while the digest still reads.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "engine.h"
#include "source.h"

namespace uplift {

class SideDigest : public std::enable_shared_from_this<SideDigest> {
 public:
  using Done = std::function<void(const Error& err, const std::string& md5)>;

  // hash=false: nothing is hashed (md5 stays ""), but a stream is still checked for its end,
  // so a stream longer than its size fails even when no request reads it. Other sources then
  // need no digest at all. An empty body (no source) has the empty body's MD5.
  static std::shared_ptr<SideDigest> make(Engine& engine, std::shared_ptr<Job> job, BodyRange range,
                                          bool hash);

  // Starts the digest, then calls send(), which hands the request(s) that send the same bytes
  // to the engine; a stream's bytes from the range's start are held across both. Call once,
  // after storing the pointer wherever send's callbacks look for it (they may run on an
  // engine thread before start returns).
  void start(const std::function<void()>& send);

  // The transfer side ended (e empty: it succeeded). done(err, md5) runs once, when the
  // digest has ended too (at once when it already has): err is the digest's own failure if
  // any, else e. Call once.
  void transferEnded(const Error& e, Done done);

  // True when the digest failed on its own (not because a failed transfer stopped it or the
  // job was cancelled).
  bool sourceFailed() const;

 private:
  SideDigest(Engine& engine, std::shared_ptr<Job> job, BodyRange range, bool hash);
  void digestEnded(const Error& e, const std::string& md5);
  void maybeFinish(std::unique_lock<std::mutex>& lock);

  Engine& engine_;
  const std::shared_ptr<Job> job_;
  const BodyRange range_;
  const bool hash_;
  const std::shared_ptr<std::atomic<bool>> stop_ = std::make_shared<std::atomic<bool>>(false);

  mutable std::mutex mu_;  // guards everything below
  bool digestDone_ = false;
  bool transferDone_ = false;
  bool sourceFailed_ = false;
  Error digestErr_, transferErr_;
  std::string md5_;
  Done done_;
};

}  // namespace uplift
