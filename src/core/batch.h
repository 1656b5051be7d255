// Runs N requests of one job with at most `concurrency` in flight, lowest index first.
// The first failure is what `done` reports (see BatchSpec::cancelJobOnFailure).
// Used for multipart parts, chunk uploads and multi-file form uploads.
#pragma once

#include <functional>
#include <memory>

#include "engine.h"
#include "http.h"

namespace uplift {

struct BatchSpec {
  size_t count = 0;
  int concurrency = 4;
  // Builds request i (called on an engine thread, once per item).
  std::function<HttpRequest(size_t i)> makeRequest;
  // Checks the answer to request i; a returned error (code set) fails the batch. Called
  // once per successful item on an engine thread; may run concurrently for different items.
  std::function<Error(size_t i, HttpResponse& resp)> onItem;
  // Optional: wraps the sending of request i. It must call send() once, before it returns;
  // a flow starts beside it what reads the same bytes, e.g. the item's digest
  // (SideDigest::start(send)), registered before the request can end.
  std::function<void(size_t i, const std::function<void()>& send)> sendAround;
  // Optional: rewrites the error of a failed item (e.g. to read a vendor's error body).
  std::function<Error(size_t i, const Error& err, HttpResponse& resp)> mapError;
  // true: the first failure cancels the job, so items in flight stop at once. false: no new
  // item starts, items in flight finish (for flows that recover, e.g. by re-presigning).
  bool cancelJobOnFailure = true;
  // Optional, for items that are windows of one stream (chunks): bytes from the lowest item
  // not yet stored on stay held (so a failed item can be re-sent) and the stream's window
  // is widened to concurrency + 1 items. itemOffset(i) must grow with i.
  std::shared_ptr<Source> stream;
  std::function<uint64_t(size_t i)> itemOffset;
  uint64_t itemMaxBytes = 0;
};

struct BatchStats {
  size_t done = 0;
  int retries = 0;  // attempts beyond the first, over all items
};

// done(err, stats) is called once, on an engine thread, after every started item ended.
void runBatch(Engine& engine, const std::shared_ptr<Job>& job, BatchSpec spec,
              std::function<void(const Error&, const BatchStats&)> done);

}  // namespace uplift
