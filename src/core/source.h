// Body sources: random-access, thread-safe readers of the bytes an upload sends.
// A FileSource reads with pread as curl asks (the file is never read whole into memory);
// a MemorySource reads a caller-owned buffer that the caller keeps alive until the job ends.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "error.h"

namespace uplift {

class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t size() const = 0;
  // Reads up to n bytes at offset into buf. Returns the count (0 only at the end) or -1 and
  // fills *err. Safe to call from several threads at once.
  virtual int64_t readAt(uint64_t offset, void* buf, size_t n, Error* err) = 0;
  // Checks that the bytes did not change since open (file size and mtime). Empty code = ok.
  virtual Error checkUnchanged() const { return Error{}; }
  virtual std::string describe() const = 0;
  // True for a StreamSource (see stream_source.h): reads may have to wait for the producer.
  virtual bool isStream() const { return false; }
  // True for a UrlSource (see url_source.h): reads go through ranged GETs and may wait.
  virtual bool isUrl() const { return false; }
};

class FileSource final : public Source {
 public:
  // Opens and stats path; nullptr with *err set when it is missing, not a regular file or
  // unreadable.
  static std::shared_ptr<FileSource> open(const std::string& path, Error* err);
  ~FileSource() override;

  uint64_t size() const override { return size_; }
  int64_t readAt(uint64_t offset, void* buf, size_t n, Error* err) override;
  Error checkUnchanged() const override;
  std::string describe() const override { return path_; }

 private:
  FileSource(std::string path, int fd, uint64_t size, int64_t mtimeNs);
  std::string path_;
  int fd_;
  uint64_t size_;
  int64_t mtimeNs_;
};

class MemorySource final : public Source {
 public:
  // data must stay valid until every job using this source has finished; keepAlive, when
  // given, is released with the source (on whichever thread drops the last reference).
  MemorySource(const void* data, size_t n, std::shared_ptr<void> keepAlive = nullptr)
      : data_(static_cast<const unsigned char*>(data)), size_(n), keepAlive_(std::move(keepAlive)) {}

  uint64_t size() const override { return size_; }
  int64_t readAt(uint64_t offset, void* buf, size_t n, Error* err) override;
  std::string describe() const override { return "buffer"; }

 private:
  const unsigned char* data_;
  uint64_t size_;
  std::shared_ptr<void> keepAlive_;
};

// A window of a source: the body of one request.
struct BodyRange {
  std::shared_ptr<Source> source;  // null = empty body
  uint64_t offset = 0;
  uint64_t length = 0;
};

}  // namespace uplift
