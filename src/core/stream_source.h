// A byte stream pushed by a producer (the JS thread, from a Node Readable) and read by
// transfers through a bounded window: bytes [base, end) are buffered. Readers that ask
// for bytes not pushed yet get kWouldBlock and register a waiter (their transfer pauses);
// bytes below every hold are released. push() says false when the window is over its bound
// and calls the drain callback once room frees, so the producer applies backpressure.
// Retrying a request is possible only while its bytes are still held (parts hold theirs
// until stored; a single streamed PUT releases its bytes as they are sent).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "source.h"

namespace uplift {

class StreamSource final : public Source {
 public:
  static constexpr int64_t kWouldBlock = -2;

  // size: the byte count the producer promised; maxBufferedBytes: the window bound.
  StreamSource(uint64_t size, uint64_t maxBufferedBytes);

  // Producer side (any thread).
  bool push(const void* data, size_t n);  // false: pause until the drain callback
  void end();                             // no more bytes (an error when fewer than size)
  void fail(Error e);                     // the producer failed
  void setOnDrain(std::function<void()> fn);

  // Consumer side (engine threads).
  uint64_t size() const override { return size_; }
  int64_t readAt(uint64_t offset, void* buf, size_t n, Error* err) override;
  std::string describe() const override { return "stream"; }
  bool isStream() const override { return true; }
  // Calls wake once bytes at offset exist (or the stream ended or failed); at once if so now.
  void waitForData(uint64_t offset, std::function<void()> wake);
  // Calls every registered wake now. Woken readers read again and wait again when nothing
  // changed; a reader that must stop (its job was cancelled) thereby leaves its wait.
  void wakeWaiters();
  // 0 once the producer ended with exactly size() bytes; kWouldBlock while it has not ended;
  // -1 with *err when it failed or gave another byte count (e.g. bytes beyond a size of 0).
  int64_t endState(Error* err) const;
  // Holds keep bytes at or above their offset buffered. Offsets only move forward.
  int addHold(uint64_t offset);
  void moveHold(int id, uint64_t offset);
  void removeHold(int id);
  // Makes the window at least this large (a multipart flow needs concurrency + 1 parts).
  void raiseBound(uint64_t bytes);

  uint64_t bufferedBytes() const;
  uint64_t highWaterBytes() const;  // the most that was ever buffered at once

 private:
  // Bytes readers may have now: until the producer ended, the last byte of the promised size
  // is held back, so a stream longer than its size fails before any body is complete.
  uint64_t readableEndLocked() const;
  void trimLocked(std::vector<std::function<void()>>* calls);
  void wakeLocked(std::vector<std::function<void()>>* calls);

  const uint64_t size_;
  mutable std::mutex mu_;  // guards everything below
  uint64_t bound_;
  std::deque<std::string> chunks_;  // contiguous from base_
  uint64_t base_ = 0;               // offset of chunks_.front()[0]
  uint64_t end_ = 0;                // offset after the last pushed byte
  uint64_t frontSkip_ = 0;          // bytes of chunks_.front() already released
  uint64_t highWater_ = 0;
  bool ended_ = false;
  Error failed_;
  bool producerPaused_ = false;
  std::function<void()> onDrain_;
  std::multimap<uint64_t, std::function<void()>> waiters_;  // by offset needed
  std::map<int, uint64_t> holds_;
  int nextHold_ = 1;
};

// The stream behind a source, or nullptr.
StreamSource* asStream(const std::shared_ptr<Source>& s);

// Keeps a stream's bytes from `offset` on for one scope (nothing for other sources). A flow
// that starts a digest before handing the request that sends the same bytes to the engine
// holds them across both calls: otherwise the digest, on another thread, may read ahead and
// let bytes go before the request's transfer holds them.
class StreamHoldScope {
 public:
  StreamHoldScope(const std::shared_ptr<Source>& source, uint64_t offset) : stream_(asStream(source)) {
    if (stream_) hold_ = stream_->addHold(offset);
  }
  ~StreamHoldScope() {
    if (stream_) stream_->removeHold(hold_);
  }
  StreamHoldScope(const StreamHoldScope&) = delete;
  StreamHoldScope& operator=(const StreamHoldScope&) = delete;

 private:
  StreamSource* stream_;
  int hold_ = 0;
};

}  // namespace uplift
