// digestAsync: MD5 of a body range in 1 MiB blocks, stopping early on cancellation.
#include "digest.h"

#include <vector>

#include "md5.h"

namespace uplift {

void digestAsync(Engine& engine, std::shared_ptr<Job> job, BodyRange range,
                 std::function<void(const Error&, const std::string&)> done,
                 std::shared_ptr<std::atomic<bool>> stop) {
  auto work = [job, range, done, stop]() {
    constexpr size_t kBlock = 1 << 20;
    std::vector<unsigned char> buf(range.length > 0 ? kBlock : 1);
    Md5 md5;
    uint64_t pos = 0;
    while (pos < range.length) {
      if (job->cancelled()) {
        done(job->cancelReason(), std::string());
        return;
      }
      if (stop && stop->load(std::memory_order_relaxed)) {
        done(makeError(codes::kAborted, "digest stopped: the transfer failed"), std::string());
        return;
      }
      size_t want = static_cast<size_t>(std::min<uint64_t>(kBlock, range.length - pos));
      Error err;
      int64_t got = range.source->readAt(range.offset + pos, buf.data(), want, &err);
      if (got <= 0) {
        if (got == 0) err = makeError(codes::kSourceChanged, "the source ended early");
        done(err, std::string());
        return;
      }
      md5.update(buf.data(), static_cast<size_t>(got));
      pos += static_cast<uint64_t>(got);
    }
    done(Error(), md5.finishHex());
  };
  if (!engine.runWork(work)) {
    done(makeError(codes::kEngineClosed, "the engine was closed"), std::string());
  }
}

}  // namespace uplift
