// digestAsync: MD5 of a body range in 1 MiB blocks on the worker thread, stopping early on
// cancellation. A stream is hashed as its bytes arrive: the run parks on the stream when it
// has caught up and is posted back to the worker queue when more bytes come; it holds the
// stream's bytes from its position on, so none are released unhashed.
#include "digest.h"

#include <algorithm>
#include <memory>

#include "md5.h"
#include "stream_source.h"
#include "url_source.h"

namespace uplift {

namespace {

struct DigestRun : std::enable_shared_from_this<DigestRun> {
  std::shared_ptr<WorkQueue> queue;
  std::shared_ptr<Job> job;
  BodyRange range;
  std::function<void(const Error&, const std::string&)> done;
  std::shared_ptr<std::atomic<bool>> stop;
  bool hash = true;
  StreamSource* stream = nullptr;  // kept alive by range.source
  UrlSource* url = nullptr;        // likewise: read by one sequential ranged GET of its own
  int hold = 0;
  int cancelHook = 0;
  Md5 md5;
  uint64_t pos = 0;
  // Sized to the range (at most one block) and left uninitialised: a 1 MiB zeroed vector per
  // run cost a memset and fresh pages for every small file.
  std::unique_ptr<unsigned char[]> buf;

  void finish(const Error& e, const std::string& hex) {
    if (stream && hold) {
      stream->removeHold(hold);
      hold = 0;
    }
    job->removeOnCancel(cancelHook);
    cancelHook = 0;
    auto d = std::move(done);
    done = nullptr;
    if (d) d(e, hex);
  }

  // Why the run must end now, or an empty error.
  Error stopReason() const {
    if (job->cancelled()) return job->cancelReason();
    if (stop && stop->load()) return makeError(codes::kAborted, "digest stopped: the transfer failed");
    return Error();
  }

  // Waits for the stream to have bytes at offset (or to end); step() runs again then.
  void park(uint64_t offset) {
    auto self = shared_from_this();
    auto wake = [self] {
      std::shared_ptr<DigestRun> again = self;
      if (!self->queue->post([again] { again->step(); })) {
        again->finish(makeError(codes::kEngineClosed, "the engine was closed"), std::string());
      }
    };
    if (url) {
      url->waitForData(offset, std::move(wake));
      if (!stopReason().code.empty()) url->wakeWaiters();
      return;
    }
    stream->waitForData(offset, std::move(wake));
    // A cancel or stop that came before the wait was registered woke nobody: wake now.
    // (Cancel sets its flag before it wakes waiters, so one of the two sides sees the other.)
    if (!stopReason().code.empty()) stream->wakeWaiters();
  }

  void step() {
    constexpr size_t kBlock = 1 << 20;
    if (hash && !buf) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(kBlock, std::max<uint64_t>(1, range.length)));
      buf.reset(new unsigned char[n]);
    }
    while (hash && pos < range.length) {
      Error why = stopReason();
      if (!why.code.empty()) return finish(why, std::string());
      size_t want = static_cast<size_t>(std::min<uint64_t>(kBlock, range.length - pos));
      Error err;
      int64_t got = range.source->readAt(range.offset + pos, buf.get(), want, &err);
      if (got == StreamSource::kWouldBlock) return park(range.offset + pos);
      if (got <= 0) {
        if (got == 0) err = makeError(codes::kSourceChanged, "the source ended early");
        return finish(err, std::string());
      }
      md5.update(buf.get(), static_cast<size_t>(got));
      pos += static_cast<uint64_t>(got);
      if (stream) stream->moveHold(hold, range.offset + pos);
    }
    if (stream && range.offset + range.length >= stream->size()) {
      // The body is whole only once the producer ended with exactly size() bytes: with a
      // size of 0 no byte is ever read, so this is where a longer stream is caught.
      Error why = stopReason();
      if (!why.code.empty()) return finish(why, std::string());
      Error err;
      int64_t state = stream->endState(&err);
      if (state == StreamSource::kWouldBlock) return park(stream->size());
      if (state < 0) return finish(err, std::string());
    }
    finish(Error(), hash ? md5.finishHex() : std::string());
  }
};

}  // namespace

void digestAsync(Engine& engine, std::shared_ptr<Job> job, BodyRange range,
                 std::function<void(const Error&, const std::string&)> done,
                 std::shared_ptr<std::atomic<bool>> stop, bool hash) {
  auto run = std::make_shared<DigestRun>();
  run->queue = engine.workQueue();
  run->job = std::move(job);
  run->range = range;
  run->done = std::move(done);
  run->stop = std::move(stop);
  run->hash = hash;
  run->stream = asStream(range.source);
  run->url = asUrl(range.source);
  if (run->url) run->url->attach(run->job);
  if (run->stream) {
    // Registered now, before any transfer reads, so no byte is released unhashed.
    if (hash) run->hold = run->stream->addHold(range.offset);
    // A cancelled job wakes the run parked on the stream, so it ends (the producer may
    // never push again). The hook keeps no reference: the run owns the source.
    std::weak_ptr<Source> weak = range.source;
    run->cancelHook = run->job->onCancel([weak] {
      if (auto s = weak.lock()) asStream(s)->wakeWaiters();
    });
  }
  if (!run->queue->post([run] { run->step(); })) {
    run->finish(makeError(codes::kEngineClosed, "the engine was closed"), std::string());
  }
}

}  // namespace uplift
