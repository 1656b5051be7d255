// FileSource and MemorySource.
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace uplift {

namespace {
int64_t mtimeOf(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}
}  // namespace

std::shared_ptr<FileSource> FileSource::open(const std::string& path, Error* err) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise block forever; it has no
  // effect on reads of the regular files accepted below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR) {
      *err = makeError(codes::kFileNotFound, "no file at " + path + ": check the path");
    } else if (e == EACCES || e == EPERM) {
      *err = makeError(codes::kFileNotReadable, "cannot read " + path + ": permission denied");
    } else if (e == EISDIR) {
      *err = makeError(codes::kNotAFile, path + " is a directory, not a file");
    } else {
      *err = makeError(codes::kFileNotReadable, "cannot open " + path + ": " + std::strerror(e));
    }
    return nullptr;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    *err = makeError(codes::kFileNotReadable, "cannot stat " + path + ": " + std::strerror(e));
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    *err = makeError(codes::kNotAFile, path + " is not a regular file");
    return nullptr;
  }
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::shared_ptr<FileSource>(
      new FileSource(path, fd, static_cast<uint64_t>(st.st_size), mtimeOf(st)));
}

FileSource::FileSource(std::string path, int fd, uint64_t size, int64_t mtimeNs)
    : path_(std::move(path)), fd_(fd), size_(size), mtimeNs_(mtimeNs) {}

FileSource::~FileSource() { ::close(fd_); }

int64_t FileSource::readAt(uint64_t offset, void* buf, size_t n, Error* err) {
  if (offset >= size_) return 0;
  if (n > size_ - offset) n = static_cast<size_t>(size_ - offset);
  for (;;) {
    ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(offset));
    if (got >= 0) {
      if (got == 0 && n > 0) {
        *err = makeError(codes::kSourceChanged,
                         path_ + " became shorter while uploading; upload it again once it is "
                                 "no longer being written");
        return -1;
      }
      return got;
    }
    if (errno == EINTR) continue;
    *err = makeError(codes::kFileNotReadable,
                     "reading " + path_ + " failed: " + std::strerror(errno));
    return -1;
  }
}

Error FileSource::checkUnchanged() const {
  struct stat st;
  if (fstat(fd_, &st) != 0) return makeError(codes::kFileNotReadable, "cannot stat " + path_);
  if (static_cast<uint64_t>(st.st_size) != size_ || mtimeOf(st) != mtimeNs_) {
    return makeError(codes::kSourceChanged,
                     path_ + " changed while it was being uploaded (size or modification "
                             "time); upload it again once it is no longer being written");
  }
  return Error{};
}

int64_t MemorySource::readAt(uint64_t offset, void* buf, size_t n, Error*) {
  if (offset >= size_) return 0;
  if (n > size_ - offset) n = static_cast<size_t>(size_ - offset);
  std::memcpy(buf, data_ + offset, n);
  return static_cast<int64_t>(n);
}

}  // namespace uplift
