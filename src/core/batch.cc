// runBatch: bounded-concurrency fan-out of one job's requests.
#include "batch.h"

#include <mutex>
#include <vector>

#include "stream_source.h"

namespace uplift {

namespace {

struct BatchRun : std::enable_shared_from_this<BatchRun> {
  Engine* engine = nullptr;
  std::shared_ptr<Job> job;
  BatchSpec spec;
  std::function<void(const Error&, const BatchStats&)> done;

  std::mutex mu;  // guards everything below
  size_t next = 0;
  size_t inFlight = 0;
  bool reported = false;
  Error err;
  BatchStats stats;
  StreamSource* stream = nullptr;  // see BatchSpec::stream
  int hold = 0;
  std::vector<bool> stored;
  size_t lowestPending = 0;

  void holdStream() {
    stream = asStream(spec.stream);
    if (!stream || !spec.itemOffset) return;
    stream->raiseBound(spec.itemMaxBytes * static_cast<uint64_t>(spec.concurrency + 1));
    stored.assign(spec.count, false);
    hold = stream->addHold(spec.count ? spec.itemOffset(0) : 0);
  }

  void releaseStored(size_t i) {
    if (!hold) return;
    uint64_t at;
    {
      std::lock_guard<std::mutex> lock(mu);
      stored[i] = true;
      while (lowestPending < stored.size() && stored[lowestPending]) ++lowestPending;
      at = lowestPending < stored.size() ? spec.itemOffset(lowestPending) : spec.stream->size();
    }
    stream->moveHold(hold, at);
  }

  void launch() {
    std::vector<size_t> toStart;
    {
      std::lock_guard<std::mutex> lock(mu);
      while (err.code.empty() && !job->cancelled() &&
             inFlight < static_cast<size_t>(spec.concurrency) && next < spec.count) {
        toStart.push_back(next++);
        ++inFlight;
      }
    }
    auto self = shared_from_this();
    for (size_t i : toStart) {
      auto send = [&] {
        engine->send(job, spec.makeRequest(i),
                     [self, i](const Error& e, HttpResponse& resp) { self->itemDone(i, e, resp); });
      };
      if (spec.sendAround) {
        spec.sendAround(i, send);
      } else {
        send();
      }
    }
  }

  void itemDone(size_t i, const Error& e, HttpResponse& resp) {
    Error failure = e;
    if (!failure.code.empty() && spec.mapError) failure = spec.mapError(i, e, resp);
    if (failure.code.empty() && spec.onItem) failure = spec.onItem(i, resp);
    if (failure.code.empty()) {
      // Counted and reported while the item is still in flight, so the final report (after
      // inFlight reaches 0) sees it and no report follows that one.
      job->partDone();
      releaseStored(i);
      job->maybeEmitProgress(false);
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      --inFlight;
      if (resp.attempts > 1) stats.retries += resp.attempts - 1;
      if (failure.code.empty()) {
        ++stats.done;
      } else if (err.code.empty()) {
        err = failure;
      }
    }
    if (!failure.code.empty()) {
      if (spec.cancelJobOnFailure) job->cancel(failure);
    } else {
      launch();
    }
    maybeFinish();
  }

  void maybeFinish() {
    Error out;
    BatchStats s;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (reported || inFlight > 0) return;
      if (err.code.empty() && stats.done < spec.count) {
        if (!job->cancelled()) return;  // more to launch
        err = job->cancelReason();
      }
      reported = true;
      out = err;
      s = stats;
    }
    if (hold) stream->removeHold(hold);
    hold = 0;
    done(out, s);
  }
};

}  // namespace

void runBatch(Engine& engine, const std::shared_ptr<Job>& job, BatchSpec spec,
              std::function<void(const Error&, const BatchStats&)> done) {
  auto run = std::make_shared<BatchRun>();
  run->engine = &engine;
  run->job = job;
  run->spec = std::move(spec);
  if (run->spec.concurrency < 1) run->spec.concurrency = 1;
  run->done = std::move(done);
  run->holdStream();
  run->launch();
  run->maybeFinish();  // zero items
}

}  // namespace uplift
