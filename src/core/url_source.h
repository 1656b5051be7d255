// A source read from an HTTP(S) URL (typically a presigned GET of the caller's own bucket),
// streamed into the upload bodies with bounded memory and no temporary file.
//
// Each upload request body (a PUT, a form's file part, a multipart part, a chunk) reads
// through its own reader: a ranged GET of exactly that body's bytes ("Range: bytes=a-b"),
// run on the source's own I/O thread (a libcurl multi loop) with the job's TLS trust, proxy,
// timeouts and retry policy. A reader buffers at most a small window: when it is full the
// GET is paused (CURL_WRITEFUNC_PAUSE) until the upload has sent enough of it; when the
// upload has nothing to read it pauses (kWouldBlock + waitForReader) until the GET delivers.
// A retried upload request opens a new reader, so its range is fetched again rather than
// held in memory. A range GET failing with a retryable outcome (5xx, 429, network errors,
// stalls) is retried from the first byte not yet received, under the job's retry policy.
//
// Consistency: the validators (ETag, Last-Modified) of the first answer (or of the size
// probe) are remembered; an answer whose validator differs, a 200 to a ranged request at a
// non-zero offset (the server ignores Range), or a Content-Range total other than the size
// fails with ERR_UPLIFT_SOURCE_CHANGED. URLs in messages have their query string removed.
//
// Reads through readAt (a whole-body digest) use readers keyed by their position: a
// sequential reader opens one GET from its offset to the end of the source.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http.h"
#include "job.h"
#include "source.h"

namespace uplift {

struct UrlSpec {
  std::string url;
  Headers headers;           // sent with every GET (may carry credentials: never shown)
  uint64_t size = 0;
  std::string etag;          // validators known from the probe; empty = take the first answer's
  std::string lastModified;
};

struct UrlProbe {
  uint64_t size = 0;
  std::string etag;
  std::string lastModified;
  int requests = 0;
};

// The URL as shown in messages: scheme://host[:port]/path, the query string (which carries
// a presigned URL's signature) replaced by "?…" and any user:password@ removed.
std::string shownUrl(const std::string& url);

class UrlSource final : public Source {
 public:
  static constexpr int64_t kWouldBlock = -2;  // same value as StreamSource::kWouldBlock
  static constexpr uint64_t kDefaultWindow = 512 * 1024;

  explicit UrlSource(UrlSpec spec, uint64_t windowBytes = kDefaultWindow);
  ~UrlSource() override;

  // Finds the size and validators with one "Range: bytes=0-0" GET (206: Content-Range
  // total; 200: Content-Length; 416 with "*/0": empty), retried under the job's policy.
  // done runs once on a probe thread. Cancelling the job stops it.
  static void probe(const std::shared_ptr<Job>& job, UrlSpec spec,
                    std::function<void(const Error&, const UrlProbe&)> done);

  // Binds the source to the job whose settings (TLS from its engine, proxy, timeouts,
  // retry) the GETs use; the first call wins. Cancelling that job fails every reader.
  void attach(const std::shared_ptr<Job>& job);

  uint64_t size() const override;
  int64_t readAt(uint64_t offset, void* buf, size_t n, Error* err) override;
  std::string describe() const override;
  bool isUrl() const override { return true; }

  // Reads the body [offset, end) through *reader (0 = none yet): a reader not positioned at
  // offset is closed and a new one opened there. Returns bytes, 0 at end, kWouldBlock, or -1.
  int64_t readRange(int* reader, uint64_t offset, uint64_t end, void* buf, size_t n, Error* err);
  void closeReader(int reader);
  // wake runs once the reader has bytes, failed or ended (at once when so now).
  void waitForReader(int reader, std::function<void()> wake);
  // The same for the readAt reader positioned at offset.
  void waitForData(uint64_t offset, std::function<void()> wake);
  // Calls every registered wake now (a reader that must stop leaves its wait).
  void wakeWaiters();

  // For tests and diagnostics.
  uint64_t bufferedBytes() const;
  uint64_t highWaterBytes() const;  // the most buffered at once, all readers together
  int getRequests() const;          // GET requests started (retries included)

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

UrlSource* asUrl(const std::shared_ptr<Source>& s);

}  // namespace uplift
