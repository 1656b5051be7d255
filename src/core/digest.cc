// digestAsync: MD5 of a body range in 1 MiB blocks on the worker thread, stopping early on
// cancellation. A stream is hashed as its bytes arrive: the run parks on the stream when it
// has caught up and is posted back to the worker queue when more bytes come; it holds the
// stream's bytes from its position on, so none are released unhashed.
#include "digest.h"

#include <vector>

#include "md5.h"
#include "stream_source.h"

namespace uplift {

namespace {

struct DigestRun : std::enable_shared_from_this<DigestRun> {
  std::shared_ptr<WorkQueue> queue;
  std::shared_ptr<Job> job;
  BodyRange range;
  std::function<void(const Error&, const std::string&)> done;
  std::shared_ptr<std::atomic<bool>> stop;
  StreamSource* stream = nullptr;  // kept alive by range.source
  int hold = 0;
  Md5 md5;
  uint64_t pos = 0;
  std::vector<unsigned char> buf;

  void finish(const Error& e, const std::string& hex) {
    if (stream && hold) {
      stream->removeHold(hold);
      hold = 0;
    }
    auto d = std::move(done);
    done = nullptr;
    if (d) d(e, hex);
  }

  void step() {
    constexpr size_t kBlock = 1 << 20;
    if (buf.empty()) buf.resize(kBlock);
    while (pos < range.length) {
      if (job->cancelled()) return finish(job->cancelReason(), std::string());
      if (stop && stop->load(std::memory_order_relaxed)) {
        return finish(makeError(codes::kAborted, "digest stopped: the transfer failed"), std::string());
      }
      size_t want = static_cast<size_t>(std::min<uint64_t>(kBlock, range.length - pos));
      Error err;
      int64_t got = range.source->readAt(range.offset + pos, buf.data(), want, &err);
      if (got == StreamSource::kWouldBlock) {
        auto self = shared_from_this();
        stream->waitForData(range.offset + pos, [self] {
          std::shared_ptr<DigestRun> again = self;
          if (!self->queue->post([again] { again->step(); })) {
            again->finish(makeError(codes::kEngineClosed, "the engine was closed"), std::string());
          }
        });
        return;
      }
      if (got <= 0) {
        if (got == 0) err = makeError(codes::kSourceChanged, "the source ended early");
        return finish(err, std::string());
      }
      md5.update(buf.data(), static_cast<size_t>(got));
      pos += static_cast<uint64_t>(got);
      if (stream) stream->moveHold(hold, range.offset + pos);
    }
    finish(Error(), md5.finishHex());
  }
};

}  // namespace

void digestAsync(Engine& engine, std::shared_ptr<Job> job, BodyRange range,
                 std::function<void(const Error&, const std::string&)> done,
                 std::shared_ptr<std::atomic<bool>> stop) {
  auto run = std::make_shared<DigestRun>();
  run->queue = engine.workQueue();
  run->job = std::move(job);
  run->range = range;
  run->done = std::move(done);
  run->stop = std::move(stop);
  run->stream = asStream(range.source);
  // Registered now, before any transfer reads, so no byte is released unhashed.
  if (run->stream) run->hold = run->stream->addHold(range.offset);
  if (!run->queue->post([run] { run->step(); })) {
    run->finish(makeError(codes::kEngineClosed, "the engine was closed"), std::string());
  }
}

}  // namespace uplift
