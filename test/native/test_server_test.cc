// GoogleTest suite for the loopback test server (support/test_server.h), driven by a plain
// POSIX-socket HTTP/1.1 client so that it does not depend on the engine under test.
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/md5.h"
#include "support/test_server.h"

namespace uplift::testing {
namespace {

using Clock = std::chrono::steady_clock;

int64_t msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Deterministic pseudo-random bytes (a 64-bit LCG), so that MD5 mismatches cannot hide.
std::string patternBytes(size_t n, uint64_t seed = 1) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    out[i] = static_cast<char>(seed >> 56);
  }
  return out;
}

// Entries of a /proc directory, e.g. open fds or live threads of this process.
size_t countEntries(const char* dir) {
  size_t n = 0;
  if (DIR* d = ::opendir(dir)) {
    while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

// Polls `count` for up to 1 s until it equals `want` (a joined thread leaves /proc shortly
// after the join returns); returns the last value seen.
template <typename F>
size_t settlesTo(size_t want, F count) {
  auto start = Clock::now();
  size_t got = count();
  while (got != want && msSince(start) < 1000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    got = count();
  }
  return got;
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Blocking HTTP/1.1 client on one TCP connection; every read and write times out after 5 s.
class Client {
 public:
  explicit Client(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  // 0 when every byte was sent, else the errno of the failure.
  int send(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return n < 0 ? errno : EPIPE;
      done += static_cast<size_t>(n);
    }
    return 0;
  }

  // Reads one response (head, then a Content-Length body). False on EOF, error or timeout;
  // lastErrno() then says which (0 for EOF).
  bool readResponse(Response& out) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return false;
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    out = Response{};
    size_t sp = head.find(' ');
    out.status = std::stoi(head.substr(sp + 1, 3));
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos
                                                                         : next - pos - 2);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      pos = next;
    }
    auto cl = out.headers.find("content-length");
    size_t length = cl == out.headers.end() ? 0 : std::stoul(cl->second);
    while (buf_.size() < length) {
      if (!fill()) return false;
    }
    out.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return true;
  }

  // Reads until the peer closes: 0 on a clean EOF with no more data, else the errno
  // (-1 when unexpected bytes arrived).
  int readToClose() {
    while (fill()) {
    }
    if (lastErrno_ == 0 && !buf_.empty()) return -1;
    return lastErrno_;
  }

  std::string& buffered() { return buf_; }
  int lastErrno() const { return lastErrno_; }

  bool fill() {
    char tmp[16384];
    ssize_t n;
    do n = ::recv(fd_, tmp, sizeof tmp, 0); while (n < 0 && errno == EINTR);
    lastErrno_ = n < 0 ? errno : 0;
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

 private:
  int fd_;
  bool connected_ = false;
  std::string buf_;
  int lastErrno_ = 0;
};

std::string putHead(const std::string& target, size_t length, const std::string& extra = "") {
  return "PUT " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
         std::to_string(length) + "\r\n" + extra + "\r\n";
}

std::string chunked(const std::string& body) {
  std::string out;
  size_t pos = 0, size = 1;
  while (pos < body.size()) {  // chunk sizes 1, 8, 57, ... up to ~70 KB
    size_t n = std::min(body.size() - pos, size);
    char hex[32];
    std::snprintf(hex, sizeof hex, "%zx", n);
    out += std::string(hex) + (pos == 0 ? ";ext=1" : "") + "\r\n" + body.substr(pos, n) + "\r\n";
    pos += n;
    size = size * 7 + 1;
    if (size > 70000) size = 1;
  }
  return out + "0\r\nX-Trailer: t\r\n\r\n";
}

TEST(TestServer, DefaultHandlerHashesContentLengthBody) {
  TestServer server;
  const std::string body = patternBytes(5 << 20);
  Client c(server.port());
  ASSERT_TRUE(c.connected());
  ASSERT_EQ(c.send(putHead("/bucket/key?partNumber=1&X-Amz-Date=x", body.size(),
                           "X-Amz-Meta-A: 1\r\nx-amz-meta-a: 2\r\n") + body), 0);
  Response resp;
  ASSERT_TRUE(c.readResponse(resp)) << c.lastErrno();
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.headers["etag"], "\"" + md5Hex(body) + "\"");
  EXPECT_EQ(resp.body, "");

  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].target, "/bucket/key?partNumber=1&X-Amz-Date=x");
  EXPECT_EQ(reqs[0].headers["x-amz-meta-a"], "1, 2");
  EXPECT_EQ(reqs[0].headers["content-length"], std::to_string(body.size()));
  EXPECT_EQ(reqs[0].bodyBytes, body.size());
  EXPECT_EQ(reqs[0].bodyMd5, md5Hex(body));
  EXPECT_EQ(reqs[0].body.size(), 1u << 20);
  EXPECT_TRUE(reqs[0].body == body.substr(0, 1 << 20));
  EXPECT_TRUE(reqs[0].complete);
  EXPECT_EQ(reqs[0].connectionId, 1);
}

TEST(TestServer, DefaultHandlerHashesChunkedBody) {
  TestServer server;
  const std::string body = patternBytes((5 << 20) + 123, 7);
  Client c(server.port());
  ASSERT_TRUE(c.connected());
  ASSERT_EQ(c.send("PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
                   chunked(body)), 0);
  Response resp;
  ASSERT_TRUE(c.readResponse(resp)) << c.lastErrno();
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.headers["etag"], "\"" + md5Hex(body) + "\"");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].bodyBytes, body.size());
  EXPECT_EQ(reqs[0].bodyMd5, md5Hex(body));
  EXPECT_TRUE(reqs[0].complete);
  // The connection stays usable after the chunked body and its trailer.
  ASSERT_EQ(c.send(putHead("/next", 3) + "abc"), 0);
  ASSERT_TRUE(c.readResponse(resp));
  EXPECT_EQ(resp.headers["etag"], "\"" + md5Hex("abc") + "\"");
  EXPECT_EQ(server.connectionsAccepted(), 1);
}

TEST(TestServer, KeepAliveCountsConnectionsAndClearKeepsTheCount) {
  TestServer server;
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(server.url("/a/b?c=d"), base + "/a/b?c=d");
  EXPECT_EQ(server.url(), base + "/");
  Response resp;
  {
    Client c(server.port());
    ASSERT_EQ(c.send(putHead("/1", 2) + "hi"), 0);
    ASSERT_TRUE(c.readResponse(resp));
    ASSERT_EQ(c.send("GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
    ASSERT_TRUE(c.readResponse(resp));
    EXPECT_EQ(resp.headers.count("connection"), 0u);
  }
  EXPECT_EQ(server.connectionsAccepted(), 1);
  Client c2(server.port());
  ASSERT_EQ(c2.send("GET /3 HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
  ASSERT_TRUE(c2.readResponse(resp));
  EXPECT_EQ(server.connectionsAccepted(), 2);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].target, "/1");
  EXPECT_EQ(reqs[1].target, "/2");
  EXPECT_EQ(reqs[2].target, "/3");
  EXPECT_EQ(reqs[0].connectionId, 1);
  EXPECT_EQ(reqs[1].connectionId, 1);
  EXPECT_EQ(reqs[2].connectionId, 2);
  EXPECT_EQ(reqs[1].bodyBytes, 0u);
  EXPECT_EQ(reqs[1].bodyMd5, md5Hex(""));
  server.clear();
  EXPECT_TRUE(server.requests().empty());
  ASSERT_EQ(c2.send("GET /4 HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
  ASSERT_TRUE(c2.readResponse(resp));
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].target, "/4");
  EXPECT_EQ(server.connectionsAccepted(), 2);
}

TEST(TestServer, ScriptedRepliesComeInOrderBeforeTheHandler) {
  std::atomic<int> handlerCalls{0};
  TestServer server([&](const Request& head) {
    ++handlerCalls;
    Reply r;
    r.status = 201;
    r.body = head.method + " " + head.target + " " + head.headers.at("x-test") +
             " body=" + std::to_string(head.bodyBytes);
    return r;
  });
  Reply busy;
  busy.status = 503;
  busy.headers = {{"Retry-After", "1"}};
  busy.body = "slow down";
  Reply throttled;
  throttled.status = 429;
  throttled.headers = {{"Retry-After", "2"}, {"x-amz-request-id", "RID"}};
  server.enqueue(busy);
  server.enqueue(throttled);

  Client c(server.port());
  Response r1, r2, r3;
  const std::string req = putHead("/p?q=1", 4, "X-Test: yes\r\n") + "data";
  ASSERT_EQ(c.send(req + req + req), 0);  // pipelined: the order is the server's alone
  ASSERT_TRUE(c.readResponse(r1));
  ASSERT_TRUE(c.readResponse(r2));
  ASSERT_TRUE(c.readResponse(r3));
  EXPECT_EQ(r1.status, 503);
  EXPECT_EQ(r1.headers["retry-after"], "1");
  EXPECT_EQ(r1.body, "slow down");
  EXPECT_EQ(r2.status, 429);
  EXPECT_EQ(r2.headers["retry-after"], "2");
  EXPECT_EQ(r2.headers["x-amz-request-id"], "RID");
  EXPECT_EQ(r3.status, 201);
  EXPECT_EQ(r3.body, "PUT /p?q=1 yes body=0");  // the handler sees the head only
  EXPECT_EQ(handlerCalls.load(), 1);
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.connectionsAccepted(), 1);
}

TEST(TestServer, HandlerExceptionBecomes500) {
  TestServer server([](const Request&) -> Reply { throw std::runtime_error("boom"); });
  Client c(server.port());
  Response resp;
  ASSERT_EQ(c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
  ASSERT_TRUE(c.readResponse(resp));
  EXPECT_EQ(resp.status, 500);
  server.setHandler(nullptr);  // back to the default handler
  ASSERT_EQ(c.send(putHead("/", 1) + "x"), 0);
  ASSERT_TRUE(c.readResponse(resp));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.headers["etag"], "\"" + md5Hex("x") + "\"");
}

TEST(TestServer, ResetAfterBodyBytesResetsTheConnection) {
  TestServer server;
  Reply reset;
  reset.resetAfterBodyBytes = 1000;
  server.enqueue(reset);
  const std::string body = patternBytes(256 << 10);
  {
    Client c(server.port());
    int sendErr = c.send(putHead("/r", body.size()) + body);
    int readErr = c.readToClose();
    // The reset surfaces on send (if still sending) or on recv; never as an answer.
    EXPECT_TRUE(sendErr == ECONNRESET || sendErr == EPIPE || readErr == ECONNRESET)
        << "send errno " << sendErr << ", recv errno " << readErr;
    EXPECT_EQ(c.buffered(), "");
  }
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].bodyBytes, 1000u);
  EXPECT_EQ(reqs[0].bodyMd5, md5Hex(body.substr(0, 1000)));
  EXPECT_FALSE(reqs[0].complete);
  // The server goes on serving new connections.
  Client c2(server.port());
  Response resp;
  ASSERT_EQ(c2.send(putHead("/r", 3) + "abc"), 0);
  ASSERT_TRUE(c2.readResponse(resp));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(server.connectionsAccepted(), 2);
}

TEST(TestServer, ResetAfterZeroBytesOfChunkedBody) {
  TestServer server;
  Reply reset;
  reset.resetAfterBodyBytes = 0;
  server.enqueue(reset);
  Client c(server.port());
  c.send("PUT /z HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked("hello"));
  EXPECT_EQ(c.readToClose(), ECONNRESET);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].bodyBytes, 0u);
  EXPECT_FALSE(reqs[0].complete);
}

TEST(TestServer, DelayBeforeReplyStallsAfterTheBody) {
  TestServer server;
  Reply slow = defaultReply();
  slow.delayBeforeReplyMs = 800;
  server.enqueue(slow);
  Client c(server.port());
  auto start = Clock::now();
  ASSERT_EQ(c.send(putHead("/slow", 5) + "stall"), 0);
  // The request is recorded before the stall, while the client still waits.
  while (server.requests().empty() && msSince(start) < 2000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_LT(msSince(start), 800);
  Response resp;
  ASSERT_TRUE(c.readResponse(resp));
  EXPECT_GE(msSince(start), 800);
  EXPECT_EQ(resp.headers["etag"], "\"" + md5Hex("stall") + "\"");
}

TEST(TestServer, ExpectContinueGets100BeforeTheBody) {
  TestServer server;
  const std::string body = patternBytes(100000, 3);
  Client c(server.port());
  ASSERT_EQ(c.send(putHead("/e", body.size(), "Expect: 100-continue\r\n")), 0);
  const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
  while (c.buffered().size() < cont.size() && c.fill()) {
  }
  ASSERT_EQ(c.buffered(), cont);
  c.buffered().clear();
  ASSERT_EQ(c.send(body), 0);
  Response resp;
  ASSERT_TRUE(c.readResponse(resp));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.headers["etag"], "\"" + md5Hex(body) + "\"");
  EXPECT_EQ(server.requests().at(0).headers.at("expect"), "100-continue");
}

TEST(TestServer, ReplyBeforeBodyAnswersEarlyAndCloses) {
  TestServer server;
  Reply early;
  early.status = 403;
  early.body = "denied";
  early.replyBeforeBody = true;
  server.enqueue(early);
  Client c(server.port());
  ASSERT_EQ(c.send(putHead("/x", 1 << 20, "Expect: 100-continue\r\n")), 0);
  Response resp;
  ASSERT_TRUE(c.readResponse(resp)) << c.lastErrno();
  EXPECT_EQ(resp.status, 403);  // no 100 Continue first
  EXPECT_EQ(resp.body, "denied");
  EXPECT_EQ(resp.headers["connection"], "close");
  EXPECT_EQ(c.readToClose(), 0);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].bodyBytes, 0u);
  EXPECT_FALSE(reqs[0].complete);
}

TEST(TestServer, CloseAfterReplySendsConnectionClose) {
  TestServer server;
  Reply r = defaultReply();
  r.closeAfterReply = true;
  r.headers.emplace_back("Connection", "keep-alive");  // dropped: closeAfterReply decides
  server.enqueue(r);
  Client c(server.port());
  ASSERT_EQ(c.send(putHead("/c", 2) + "ok"), 0);
  Response resp;
  ASSERT_TRUE(c.readResponse(resp));
  EXPECT_EQ(resp.headers["connection"], "close");
  EXPECT_EQ(resp.headers["etag"], "\"" + md5Hex("ok") + "\"");
  EXPECT_EQ(c.readToClose(), 0);
}

TEST(TestServer, ClientGoneMidBodyIsRecordedIncomplete) {
  TestServer server;
  {
    Client c(server.port());
    ASSERT_EQ(c.send(putHead("/gone", 1000) + std::string(300, 'a')), 0);
  }
  auto start = Clock::now();
  while (server.requests().empty() && msSince(start) < 2000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].bodyBytes, 300u);
  EXPECT_FALSE(reqs[0].complete);
}

TEST(TestServer, ParallelClientsEachGetTheirOwnConnection) {
  TestServer server;
  constexpr int kClients = 6, kEach = 4;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      Client c(server.port());
      for (int j = 0; j < kEach; ++j) {
        std::string body = patternBytes(10000 + i * 100 + j, i * 10 + j + 1);
        Response resp;
        if (c.send(putHead("/p", body.size()) + body) == 0 && c.readResponse(resp) &&
            resp.headers["etag"] == "\"" + md5Hex(body) + "\"") {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kEach);
  EXPECT_EQ(server.connectionsAccepted(), kClients);
  EXPECT_EQ(server.requests().size(), static_cast<size_t>(kClients * kEach));
}

TEST(TestServer, ManyShortConnectionsAreServedAndReaped) {
  TestServer server;
  int ok = 0;
  for (int i = 0; i < 100; ++i) {
    Client c(server.port());
    Response resp;
    ok += c.send("GET /n HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n") == 0 &&
          c.readResponse(resp) && resp.headers["connection"] == "close" && c.readToClose() == 0;
  }
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(server.connectionsAccepted(), 100);
}

TEST(TestServer, DestructorReturnsPromptlyWithClientsMidRequest) {
  auto server = std::make_unique<TestServer>([](const Request& head) {
    Reply r = defaultReply();
    if (head.target == "/s") r.delayBeforeReplyMs = 60000;
    return r;
  });
  Client stalledClient(server->port());  // waiting through a 60 s stall
  ASSERT_EQ(stalledClient.send(putHead("/s", 1) + "s"), 0);
  Client midBody(server->port());  // 10 MiB announced, 4 KiB sent
  ASSERT_EQ(midBody.send(putHead("/m", 10 << 20) + std::string(4096, 'm')), 0);
  Client midHead(server->port());
  ASSERT_EQ(midHead.send("PUT /h HTTP/1.1\r\nHost:"), 0);
  Client idle(server->port());
  auto start = Clock::now();
  while ((server->connectionsAccepted() < 4 || server->requests().empty()) &&
         msSince(start) < 2000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(server->connectionsAccepted(), 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the body reads block
  start = Clock::now();
  server.reset();
  EXPECT_LT(msSince(start), 1000);
  // Every client sees its connection end without an answer.
  for (Client* c : {&stalledClient, &midBody, &midHead, &idle}) {
    int err = c->readToClose();
    EXPECT_TRUE(err == 0 || err == ECONNRESET) << err;
    EXPECT_EQ(c->buffered(), "");
  }
}

TEST(TestServer, DestructorClosesEverySocketAndJoinsEveryThread) {
  const size_t fds = countEntries("/proc/self/fd"), threads = countEntries("/proc/self/task");
  {
    TestServer server;
    Client a(server.port()), b(server.port()), midBody(server.port());
    Response resp;
    ASSERT_EQ(a.send(putHead("/a", 1) + "a"), 0);
    ASSERT_EQ(b.send(putHead("/b", 1) + "b"), 0);
    ASSERT_EQ(midBody.send(putHead("/m", 100)), 0);
    ASSERT_TRUE(a.readResponse(resp));
    ASSERT_TRUE(b.readResponse(resp));
    EXPECT_GE(countEntries("/proc/self/task"), threads + 3);  // accept, a, b (+ midBody)
  }
  EXPECT_EQ(settlesTo(fds, [] { return countEntries("/proc/self/fd"); }), fds);
  EXPECT_EQ(settlesTo(threads, [] { return countEntries("/proc/self/task"); }), threads);
}

}  // namespace
}  // namespace uplift::testing
