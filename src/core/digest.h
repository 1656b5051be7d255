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
// It stops early when the job is cancelled or `stop` (optional) becomes true; whoever sets
// `stop` on a stream's digest must then call StreamSource::wakeWaiters() (a parked run
// would not see it otherwise). When the range reaches the end of a stream, done also waits
// for the producer's end and fails with its error (e.g. more bytes than the size said).
// hash=false reads no bytes and only does that end check (md5hex is then "").
void digestAsync(Engine& engine, std::shared_ptr<Job> job, BodyRange range,
                 std::function<void(const Error&, const std::string&)> done,
                 std::shared_ptr<std::atomic<bool>> stop = nullptr, bool hash = true);

}  // namespace uplift
