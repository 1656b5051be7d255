// Whole-body MD5 computed on the engine's worker thread while the I/O threads send the same
// bytes, so hashing (~1.4 s of CPU per GiB) runs beside the network work instead of on the
// I/O thread. File bytes come back from the page cache the upload has just warmed.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "engine.h"
#include "source.h"

namespace uplift {

// done(err, md5hex) runs once on the worker thread (or inline when the engine is closed).
// It stops early when the job is cancelled or `stop` (optional) becomes true.
void digestAsync(Engine& engine, std::shared_ptr<Job> job, BodyRange range,
                 std::function<void(const Error&, const std::string&)> done,
                 std::shared_ptr<std::atomic<bool>> stop = nullptr);

}  // namespace uplift
