// StreamSource: bounded window over a pushed byte stream.
#include "stream_source.h"

#include <algorithm>
#include <cstring>

namespace uplift {

StreamSource* asStream(const std::shared_ptr<Source>& s) {
  return s && s->isStream() ? static_cast<StreamSource*>(s.get()) : nullptr;
}

StreamSource::StreamSource(uint64_t size, uint64_t maxBufferedBytes)
    : size_(size), bound_(std::max<uint64_t>(maxBufferedBytes, 64 * 1024)) {}

bool StreamSource::push(const void* data, size_t n) {
  std::vector<std::function<void()>> calls;
  bool room;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_ || !failed_.code.empty()) return true;
    if (end_ + n > size_) {
      failed_ = makeError(codes::kSizeMismatch, "the stream gave more than the " +
                                                    std::to_string(size_) + " bytes its size announced");
      wakeLocked(&calls);
    } else if (n > 0) {
      chunks_.emplace_back(static_cast<const char*>(data), n);
      end_ += n;
      highWater_ = std::max(highWater_, end_ - base_ - frontSkip_);
      wakeLocked(&calls);
    }
    room = end_ - base_ - frontSkip_ < bound_;
    if (!room) producerPaused_ = true;
  }
  for (auto& c : calls) c();
  return room;
}

void StreamSource::end() {
  std::vector<std::function<void()>> calls;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    ended_ = true;
    if (failed_.code.empty() && end_ != size_) {
      failed_ = makeError(codes::kSizeMismatch, "the stream ended after " + std::to_string(end_) +
                                                    " bytes but its size said " + std::to_string(size_));
    }
    wakeLocked(&calls);
  }
  for (auto& c : calls) c();
}

void StreamSource::fail(Error e) {
  std::vector<std::function<void()>> calls;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_.code.empty()) failed_ = std::move(e);
    ended_ = true;
    wakeLocked(&calls);
  }
  for (auto& c : calls) c();
}

void StreamSource::setOnDrain(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  onDrain_ = std::move(fn);
}

uint64_t StreamSource::readableEndLocked() const {
  if (ended_ || end_ < size_) return end_;
  return size_ > 0 ? size_ - 1 : 0;
}

int64_t StreamSource::readAt(uint64_t offset, void* buf, size_t n, Error* err) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t first = base_ + frontSkip_;
  if (offset < first) {
    *err = makeError(codes::kSourceChanged,
                     "the stream's bytes at " + std::to_string(offset) +
                         " were already sent and released, so this request cannot be re-sent "
                         "(pass a file path or a Buffer when retries must re-send the whole body)");
    return -1;
  }
  if (!failed_.code.empty()) {
    *err = failed_;
    return -1;
  }
  uint64_t readable = readableEndLocked();
  if (offset >= readable) {
    if (ended_) return 0;
    return kWouldBlock;
  }
  n = static_cast<size_t>(std::min<uint64_t>(n, readable - offset));
  // Find the chunk holding offset.
  uint64_t pos = base_;
  size_t copied = 0;
  for (const std::string& c : chunks_) {
    uint64_t cEnd = pos + c.size();
    if (offset + copied < cEnd && copied < n) {
      uint64_t from = offset + copied - pos;
      size_t take = static_cast<size_t>(std::min<uint64_t>(c.size() - from, n - copied));
      std::memcpy(static_cast<char*>(buf) + copied, c.data() + from, take);
      copied += take;
    }
    if (copied == n) break;
    pos = cEnd;
  }
  return static_cast<int64_t>(copied);
}

void StreamSource::waitForData(uint64_t offset, std::function<void()> wake) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!(offset < readableEndLocked() || ended_ || !failed_.code.empty())) {
      waiters_.emplace(offset, std::move(wake));
      return;
    }
  }
  wake();
}

void StreamSource::wakeWaiters() {
  std::multimap<uint64_t, std::function<void()>> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiters.swap(waiters_);
  }
  for (auto& w : waiters) w.second();
}

int64_t StreamSource::endState(Error* err) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failed_.code.empty()) {
    *err = failed_;
    return -1;
  }
  return ended_ ? 0 : kWouldBlock;
}

void StreamSource::wakeLocked(std::vector<std::function<void()>>* calls) {
  uint64_t readable = readableEndLocked();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->first < readable || ended_ || !failed_.code.empty()) {
      calls->push_back(std::move(it->second));
      it = waiters_.erase(it);
    } else {
      break;  // ordered by offset: the rest need later bytes
    }
  }
}

void StreamSource::trimLocked(std::vector<std::function<void()>>* calls) {
  uint64_t keep = end_;
  for (const auto& h : holds_) keep = std::min(keep, h.second);
  while (!chunks_.empty()) {
    uint64_t frontEnd = base_ + chunks_.front().size();
    if (frontEnd <= keep) {
      base_ = frontEnd;
      frontSkip_ = 0;
      chunks_.pop_front();
    } else {
      frontSkip_ = keep > base_ ? keep - base_ : 0;
      break;
    }
  }
  if (chunks_.empty()) {
    base_ = end_;
    frontSkip_ = 0;
  }
  uint64_t buffered = end_ - base_ - frontSkip_;
  if (producerPaused_ && buffered < bound_ / 2 + 1 && onDrain_) {
    producerPaused_ = false;
    calls->push_back(onDrain_);
  }
}

int StreamSource::addHold(uint64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  int id = nextHold_++;
  holds_[id] = offset;
  return id;
}

void StreamSource::moveHold(int id, uint64_t offset) {
  std::vector<std::function<void()>> calls;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = holds_.find(id);
    if (it == holds_.end() || offset <= it->second) return;
    it->second = offset;
    trimLocked(&calls);
  }
  for (auto& c : calls) c();
}

void StreamSource::removeHold(int id) {
  std::vector<std::function<void()>> calls;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (holds_.erase(id) == 0) return;
    if (!holds_.empty()) trimLocked(&calls);
  }
  for (auto& c : calls) c();
}

void StreamSource::raiseBound(uint64_t bytes) {
  std::vector<std::function<void()>> calls;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (bytes <= bound_) return;
    bound_ = bytes;
    if (producerPaused_ && end_ - base_ - frontSkip_ < bound_ && onDrain_) {
      producerPaused_ = false;
      calls.push_back(onDrain_);
    }
  }
  for (auto& c : calls) c();
}

uint64_t StreamSource::bufferedBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return end_ - base_ - frontSkip_;
}

uint64_t StreamSource::highWaterBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return highWater_;
}

}  // namespace uplift
