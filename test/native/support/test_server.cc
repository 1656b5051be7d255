// Loopback HTTP/1.1 test server (see test_server.h): accept thread, one thread per connection.
#include "support/test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <system_error>

#include "support/md5.h"

namespace uplift::testing {
namespace {

using Lock = std::lock_guard<std::mutex>;

constexpr size_t kKeepBodyBytes = 1 << 20;  // Request::body keeps at most 1 MiB
constexpr size_t kMaxHeadBytes = 64 << 10;  // a longer request head ends the connection
constexpr size_t kReadChunk = 64 << 10;     // bytes asked of each recv()
constexpr int kDrainMs = 2000;              // after an early answer: max wait for the unread body

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string header(const Request& r, const char* name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : lower(it->second);
}

// Buffered reader of one connection socket. Every wait also ends when the wake fd is readable.
class Reader {
 public:
  Reader(int fd, int wakeFd) : fd_(fd), wakeFd_(wakeFd) {}

  // Appends more bytes; false on EOF, error, stop, or timeout (ms, -1 = none).
  bool fill(int timeoutMs = -1) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wakeFd_, POLLIN, 0}};
    int n;
    do n = ::poll(p, 2, timeoutMs); while (n < 0 && errno == EINTR);
    if (n <= 0 || (p[1].revents & POLLIN) != 0) return false;
    buf_.erase(0, pos_);
    pos_ = 0;
    size_t old = buf_.size();
    buf_.resize(old + kReadChunk);
    ssize_t got;
    do got = ::recv(fd_, &buf_[old], kReadChunk, 0); while (got < 0 && errno == EINTR);
    buf_.resize(old + static_cast<size_t>(std::max<ssize_t>(got, 0)));
    return got > 0;
  }
  size_t available() const { return buf_.size() - pos_; }
  const char* data() const { return buf_.data() + pos_; }
  void consume(size_t n) { pos_ += n; }

  // One line without its CRLF (or LF); false if the connection ends or the line exceeds max.
  bool readLine(std::string& line, size_t max) {
    for (;;) {
      size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos && nl - pos_ <= max + 1) {
        line.assign(buf_, pos_, nl - pos_);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        pos_ = nl + 1;
        return true;
      }
      if (available() > max + 1 || !fill()) return false;
    }
  }

 private:
  int fd_, wakeFd_;  // borrowed
  std::string buf_;  // bytes received; those before pos_ are consumed
  size_t pos_ = 0;
};

// Request line and headers; false if the connection ends first or the head is malformed.
bool readHead(Reader& r, Request& req, std::string& version) {
  std::string line;
  do {  // tolerate blank lines between requests
    if (!r.readLine(line, kMaxHeadBytes)) return false;
  } while (line.empty());
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) return false;
  req.method = line.substr(0, sp1);
  req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  version = line.substr(sp2 + 1);
  size_t total = line.size();
  for (;;) {
    if (!r.readLine(line, kMaxHeadBytes)) return false;
    if (line.empty()) return true;
    total += line.size();
    size_t colon = line.find(':');
    if (total > kMaxHeadBytes || colon == std::string::npos) return false;
    std::string name = lower(trim(line.substr(0, colon))), value = trim(line.substr(colon + 1));
    auto [it, fresh] = req.headers.emplace(name, value);
    if (!fresh) it->second += ", " + value;
  }
}

struct Framing {
  bool ok = true;        // false: unparseable Content-Length
  bool chunked = false;
  uint64_t length = 0;   // Content-Length when not chunked
};

Framing framingOf(const Request& head) {
  Framing f;
  if (header(head, "transfer-encoding").find("chunked") != std::string::npos) {
    f.chunked = true;
    return f;
  }
  std::string cl = header(head, "content-length");
  if (cl.empty()) return f;
  char* end = nullptr;
  f.length = std::strtoull(cl.c_str(), &end, 10);
  f.ok = cl.find_first_not_of("0123456789") == std::string::npos && *end == '\0';
  return f;
}

// Streams body bytes into a request's counter, MD5 and kept prefix; stops at a byte limit.
class BodySink {
 public:
  BodySink(Request& req, int64_t limit) : req_(req), limit_(limit) {}
  uint64_t room() const {
    if (limit_ < 0) return UINT64_MAX;
    return static_cast<uint64_t>(limit_) - std::min<uint64_t>(req_.bodyBytes, limit_);
  }
  void take(const char* p, size_t n) {
    md5_.update(p, n);
    req_.bodyBytes += n;
    if (req_.body.size() < kKeepBodyBytes) {
      req_.body.append(p, std::min(n, kKeepBodyBytes - req_.body.size()));
    }
  }
  void finish() { req_.bodyMd5 = md5_.finishHex(); }

 private:
  Request& req_;
  int64_t limit_;  // -1: none
  Md5 md5_;
};

enum class BodyEnd { kComplete, kLimitReached, kFailed };

BodyEnd copyBytes(Reader& r, BodySink& sink, uint64_t n) {
  while (n > 0) {
    if (sink.room() == 0) return BodyEnd::kLimitReached;
    if (r.available() == 0 && !r.fill()) return BodyEnd::kFailed;
    size_t k = static_cast<size_t>(std::min<uint64_t>({r.available(), n, sink.room()}));
    sink.take(r.data(), k);
    r.consume(k);
    n -= k;
  }
  return BodyEnd::kComplete;
}

BodyEnd readBody(Reader& r, const Framing& f, BodySink& sink) {
  if (!f.chunked) return copyBytes(r, sink, f.length);
  std::string line;
  for (;;) {
    if (sink.room() == 0) return BodyEnd::kLimitReached;
    if (!r.readLine(line, 4096)) return BodyEnd::kFailed;
    char* end = nullptr;
    uint64_t size = std::strtoull(line.c_str(), &end, 16);
    if (end == line.c_str() || (*end != '\0' && *end != ';' && *end != ' ')) {
      return BodyEnd::kFailed;
    }
    if (size == 0) break;
    BodyEnd e = copyBytes(r, sink, size);
    if (e != BodyEnd::kComplete) return e;
    if (!r.readLine(line, 0) || !line.empty()) return BodyEnd::kFailed;
  }
  do {  // trailers, ignored
    if (!r.readLine(line, kMaxHeadBytes)) return BodyEnd::kFailed;
  } while (!line.empty());
  return BodyEnd::kComplete;
}

const char* reason(int status) {
  static const std::map<int, const char*> kReasons = {
      {100, "Continue"}, {200, "OK"}, {201, "Created"}, {204, "No Content"},
      {206, "Partial Content"}, {301, "Moved Permanently"}, {302, "Found"},
      {304, "Not Modified"}, {307, "Temporary Redirect"}, {400, "Bad Request"},
      {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"}, {408, "Request Timeout"},
      {409, "Conflict"}, {411, "Length Required"}, {412, "Precondition Failed"},
      {413, "Content Too Large"}, {429, "Too Many Requests"}, {500, "Internal Server Error"},
      {502, "Bad Gateway"}, {503, "Service Unavailable"}, {504, "Gateway Timeout"}};
  auto it = kReasons.find(status);
  return it == kReasons.end() ? "Status" : it->second;
}

std::string renderReply(const Reply& rep, const Request& req, bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(rep.status) + " " + reason(rep.status) + "\r\n";
  bool hasLength = false;
  for (const auto& [name, value] : rep.headers) {
    std::string n = lower(name);
    if (n == "connection") continue;
    hasLength = hasLength || n == "content-length";
    out += name + ": " + (value == kMd5Placeholder ? "\"" + req.bodyMd5 + "\"" : value) + "\r\n";
  }
  bool noBody = rep.status < 200 || rep.status == 204 || rep.status == 304;
  if (!hasLength && !noBody) out += "Content-Length: " + std::to_string(rep.body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!noBody && req.method != "HEAD") out += rep.body;
  return out;
}

bool sendAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads and drops what the client still sends (for up to kDrainMs), so that closing the
// socket after an early answer does not turn into a reset that hides the answer.
void drain(Reader& r) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDrainMs);
  for (;;) {
    r.consume(r.available());
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !r.fill(static_cast<int>(left.count()))) return;
  }
}

bool wantsClose(const Request& req, const std::string& version) {
  std::string conn = header(req, "connection");
  if (conn.find("close") != std::string::npos) return true;
  return version == "HTTP/1.0" && conn.find("keep-alive") == std::string::npos;
}

}  // namespace

Reply defaultReply() {
  Reply r;
  r.headers.emplace_back("ETag", kMd5Placeholder);
  return r;
}

TestServer::TestServer() : TestServer(Handler{}) {}

TestServer::TestServer(Handler h) : handler_(std::move(h)) {
  auto fail = [this](const char* what) {
    int err = errno;
    for (int fd : {listenFd_, wakeFds_[0], wakeFds_[1]}) {
      if (fd >= 0) ::close(fd);
    }
    throw std::system_error(err, std::system_category(), what);
  };
  if (::pipe2(wakeFds_, O_CLOEXEC) != 0) fail("test server: pipe2");
  listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listenFd_ < 0) fail("test server: socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if (::bind(listenFd_, sa, len) != 0) fail("test server: bind");
  if (::listen(listenFd_, 128) != 0) fail("test server: listen");
  if (::getsockname(listenFd_, sa, &len) != 0) fail("test server: getsockname");
  port_ = ntohs(addr.sin_port);
  acceptThread_ = std::thread(&TestServer::acceptLoop, this);
}

TestServer::~TestServer() {
  {
    Lock lock(mu_);  // locked: stop flag, open sockets
    stopping_ = true;
    for (int fd : openFds_) ::shutdown(fd, SHUT_RDWR);  // unblocks send()/recv()
  }
  stopCv_.notify_all();
  char byte = 1;
  while (::write(wakeFds_[1], &byte, 1) < 0 && errno == EINTR) {
  }
  if (acceptThread_.joinable()) acceptThread_.join();
  std::map<int, std::thread> threads;
  {
    Lock lock(mu_);  // locked: no thread is added after the accept join
    threads.swap(connThreads_);
  }
  for (auto& [id, t] : threads) t.join();
  for (int fd : {listenFd_, wakeFds_[0], wakeFds_[1]}) ::close(fd);
}

int TestServer::port() const { return port_; }

std::string TestServer::url(const std::string& pathAndQuery) const {
  return "http://127.0.0.1:" + std::to_string(port_) + pathAndQuery;
}

void TestServer::enqueue(Reply r) { Lock lock(mu_); script_.push_back(std::move(r)); }
void TestServer::setHandler(Handler h) { Lock lock(mu_); handler_ = std::move(h); }
std::vector<Request> TestServer::requests() const { Lock lock(mu_); return requests_; }
int TestServer::connectionsAccepted() const { Lock lock(mu_); return connections_; }
void TestServer::clear() { Lock lock(mu_); requests_.clear(); }

void TestServer::acceptLoop() {
  for (;;) {
    pollfd p[2] = {{listenFd_, POLLIN, 0}, {wakeFds_[0], POLLIN, 0}};
    int n = ::poll(p, 2, -1);
    if (n < 0 && errno != EINTR) return;
    if (n <= 0) continue;
    if ((p[1].revents & POLLIN) != 0) return;
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);  // blocking socket
    if (fd < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Lock lock(mu_);  // locked: count, open sockets, threads
    if (stopping_) {
      ::close(fd);
      return;
    }
    reapFinished();
    int id = ++connections_;
    openFds_.insert(fd);
    try {
      connThreads_.emplace(id, std::thread([this, fd, id] { serveConnection(fd, id); }));
    } catch (...) {  // no thread: drop the connection
      openFds_.erase(fd);
      ::close(fd);
    }
  }
}

void TestServer::serveConnection(int fd, int connectionId) {
  bool reset = false;
  try {
    Reader r(fd, wakeFds_[0]);
    for (;;) {
      Request req;
      req.connectionId = connectionId;
      std::string version;
      if (!readHead(r, req, version)) break;
      Reply rep = pickReply(req);
      Framing f = framingOf(req);
      if (!f.ok) break;
      bool close = rep.closeAfterReply || wantsClose(req, version);
      BodySink sink(req, rep.resetAfterBodyBytes);
      if (rep.replyBeforeBody) {
        sink.finish();
        record(req);
        if (sendAll(fd, renderReply(rep, req, true))) {
          ::shutdown(fd, SHUT_WR);
          drain(r);
        }
        break;
      }
      bool hasBody = f.chunked || f.length > 0;
      if (hasBody && header(req, "expect") == "100-continue" &&
          !sendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) {
        break;
      }
      BodyEnd end = readBody(r, f, sink);
      req.complete = end == BodyEnd::kComplete;
      sink.finish();
      record(req);
      if (rep.resetAfterBodyBytes >= 0) {
        reset = true;
        break;
      }
      if (end != BodyEnd::kComplete) break;
      if (rep.delayBeforeReplyMs > 0 && !stall(rep.delayBeforeReplyMs)) break;
      if (rep.endlessBody) {
        sendEndless(fd, rep, req);
        break;
      }
      if (!sendAll(fd, renderReply(rep, req, close)) || close) break;
    }
  } catch (...) {  // nothing escapes the thread; the connection just ends
  }
  release(fd, connectionId, reset);
}

Reply TestServer::pickReply(const Request& head) {
  Handler h;
  {
    Lock lock(mu_);
    if (!script_.empty()) {
      Reply r = std::move(script_.front());
      script_.pop_front();
      return r;
    }
    h = handler_;
  }
  try {
    return h ? h(head) : defaultReply();
  } catch (...) {
    Reply r;
    r.status = 500;
    r.body = "test server: handler threw";
    return r;
  }
}

void TestServer::record(const Request& r) {
  Lock lock(mu_);
  requests_.push_back(r);
}

void TestServer::sendEndless(int fd, Reply rep, const Request& req) {
  rep.headers.emplace_back("Content-Length", "1099511627776");
  rep.body.clear();
  if (!sendAll(fd, renderReply(rep, req, true))) return;
  const std::string block(rep.dripEveryMs > 0 ? 1 : 64 * 1024, 'x');
  for (;;) {
    if (rep.dripEveryMs > 0 && !stall(rep.dripEveryMs)) return;
    if (!sendAll(fd, block)) return;  // the client left, or the destructor shut the socket
  }
}

bool TestServer::stall(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return !stopCv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

void TestServer::release(int fd, int connectionId, bool reset) {
  {
    Lock lock(mu_);  // the destructor only shuts down fds still listed
    openFds_.erase(fd);
    finishedIds_.push_back(connectionId);  // its thread takes mu_ no more after this
  }
  if (reset) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  ::close(fd);
}

void TestServer::reapFinished() {
  for (int id : finishedIds_) {
    auto it = connThreads_.find(id);
    if (it == connThreads_.end()) continue;
    it->second.join();
    connThreads_.erase(it);
  }
  finishedIds_.clear();
}

}  // namespace uplift::testing
