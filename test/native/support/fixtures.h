// Fixtures for the engine suites: deterministic bytes, temporary files and directories that
// remove themselves, a loopback port that refuses connections, fast engine/job options and
// S3-style error bodies.
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "engine.h"
#include "source.h"

namespace uplift::testing {

// Deterministic pseudo-random bytes (64-bit LCG), so that a misplaced byte changes the MD5.
inline std::string pseudoRandomBytes(size_t n, uint64_t seed = 7) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    out[i] = static_cast<char>(seed >> 56);
  }
  return out;
}

inline void writeFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

// A fresh directory under $TMPDIR (or /tmp), removed with its plain files at destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/uplift-test-XXXXXX";
    if (!mkdtemp(&tmpl[0])) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    if (DIR* d = opendir(path_.c_str())) {
      while (const dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") ::unlink((path_ + "/" + name).c_str());
      }
      closedir(d);
    }
    ::rmdir(path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `data` to a file named `name` in this directory; returns its path.
  std::string file(const std::string& name, const std::string& data) const {
    std::string p = path_ + "/" + name;
    writeFile(p, data);
    return p;
  }

 private:
  std::string path_;
};

// A 127.0.0.1 port that is bound but not listening: connecting to it is refused, and no
// other process can take it while this object lives.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    auto* sa = reinterpret_cast<sockaddr*>(&addr);
    if (fd_ < 0 || ::bind(fd_, sa, len) != 0 || ::getsockname(fd_, sa, &len) != 0) {
      throw std::runtime_error("cannot reserve a loopback port");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  std::string url(const std::string& pathAndQuery = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + pathAndQuery;
  }

 private:
  int fd_;
  int port_ = 0;
};

// A MemorySource that owns a copy of `data`.
inline std::shared_ptr<Source> memorySource(std::string data) {
  auto keep = std::make_shared<std::string>(std::move(data));
  return std::make_shared<MemorySource>(keep->data(), keep->size(), keep);
}

inline BodyRange wholeBody(const std::shared_ptr<Source>& s) {
  return BodyRange{s, 0, s ? s->size() : 0};
}

// Engine options for loopback tests: short timeouts and backoff so faults cost milliseconds.
inline EngineOptions fastEngineOptions(int threads = 2) {
  EngineOptions o;
  o.threads = threads;
  o.retry.maxAttempts = 3;
  o.retry.baseDelayMs = 10;   // ms
  o.retry.maxDelayMs = 3000;  // ms; a Retry-After of a few seconds still counts
  o.timeouts.connectMs = 3000;
  o.timeouts.stallMs = 10000;
  return o;
}

// A presigned-looking query whose signature must never show up in messages.
inline constexpr const char kSecretSignature[] =
    "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
inline std::string presignedQuery() {
  return std::string("?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&X-Amz-Signature=") +
         kSecretSignature;
}

inline std::string s3ErrorXml(const std::string& code, const std::string& message,
                              const std::string& requestId) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
         message + "</Message><Resource>/bucket/key</Resource><RequestId>" + requestId +
         "</RequestId><HostId>aG9zdA==</HostId></Error>";
}

// Threads of this process right now (/proc/self/task entries).
inline size_t threadCount() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (const dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

}  // namespace uplift::testing
