// Loopback HTTP/1.1 server that the engine's GoogleTest suites start in-process.
// Keep-alive, Content-Length and chunked request bodies, Expect: 100-continue, and scripted
// faults: stalls (delayBeforeReplyMs), resets mid-body (RST), early answers, closes.
// Bodies are streamed and hashed, never held whole. One thread per connection.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace uplift::testing {

// A reply header whose value is exactly this string is sent as the quoted lowercase hex MD5
// of the request body read, S3 style: {"ETag", kMd5Placeholder} -> ETag: "9e10...19d6".
inline constexpr const char kMd5Placeholder[] = "@md5";

struct Request {                                // what the server saw
  std::string method, target;                   // target = path + query as sent
  std::map<std::string, std::string> headers;   // names lower-cased; repeats joined with ", "
  uint64_t bodyBytes = 0;                       // body bytes read (after de-chunking)
  std::string bodyMd5;                          // lowercase hex MD5 of those bytes
  std::string body;                             // first 1 MiB of the body only
  bool complete = false;                        // whole body read, up to its end
  int connectionId = 0;                         // 1-based index of its TCP connection
};

struct Reply {
  int status = 200;
  // Sent in order. A value equal to kMd5Placeholder becomes the quoted body MD5.
  // Content-Length is added unless given (never for 1xx/204/304); Connection is set by the
  // server (use closeAfterReply), a given Connection header is dropped.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                   // not sent for HEAD requests
  int delayBeforeReplyMs = 0;         // stall after reading the body, before answering (ms)
  int64_t resetAfterBodyBytes = -1;   // >= 0: read that many body bytes (or the whole body
                                      // if shorter), then close with RST (SO_LINGER 0), no answer
  bool closeAfterReply = false;       // send "Connection: close" and close
  bool replyBeforeBody = false;       // answer right after the head without reading the body
                                      // (no 100 Continue), then close
  // An answer body that never ends (Content-Length of 1 TiB), sent after the request body was
  // read: one byte every dripEveryMs (> 0), else 64 KiB blocks as fast as the client reads.
  // Ends when the client goes away or the server stops; `body` is ignored.
  bool endlessBody = false;
  int dripEveryMs = 0;
};

// Decides the reply from the request head (method, target, headers; body fields empty).
// Called on the connection's thread, outside the server's lock; an exception becomes a 500.
using Handler = std::function<Reply(const Request& head)>;

// 200, {"ETag", kMd5Placeholder}, empty body: what the default handler answers.
Reply defaultReply();

// All public methods are thread-safe. Construction throws std::system_error if the socket
// cannot be set up; nothing thrown on the server's threads escapes them.
class TestServer {
 public:
  TestServer();                         // 127.0.0.1, ephemeral port, default handler
  explicit TestServer(Handler h);       // an empty h means the default handler
  ~TestServer();                        // stops; joins every thread; closes every socket
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const;
  // "http://127.0.0.1:PORT" + pathAndQuery (appended as given).
  std::string url(const std::string& pathAndQuery = "/") const;
  void enqueue(Reply r);                // scripted replies, one per request, before the handler
  void setHandler(Handler h);           // an empty h means the default handler
  std::vector<Request> requests() const;  // every request so far, in the order their
                                          // bodies ended (recorded before any stall)
  int connectionsAccepted() const;
  void clear();                         // forgets requests (not the connection count)

 private:
  void acceptLoop();
  void serveConnection(int fd, int connectionId);
  Reply pickReply(const Request& head);
  void record(const Request& r);
  bool stall(int ms);                   // false when the server stops meanwhile
  void sendEndless(int fd, Reply rep, const Request& req);  // see Reply::endlessBody
  void release(int fd, int connectionId, bool reset);  // closes a socket; marks its thread done
  void reapFinished();                  // joins threads marked done; call with mu_ held

  int listenFd_ = -1;             // owned; non-blocking
  int wakeFds_[2] = {-1, -1};     // owned pipe; one byte written at stop wakes every poll
  int port_ = 0;
  std::thread acceptThread_;

  mutable std::mutex mu_;         // guards every member below
  std::condition_variable stopCv_;  // signalled when stopping_ becomes true
  bool stopping_ = false;
  Handler handler_;
  std::deque<Reply> script_;
  std::vector<Request> requests_;
  int connections_ = 0;
  std::set<int> openFds_;         // connection sockets not yet closed
  std::map<int, std::thread> connThreads_;  // by connection id, until joined
  std::vector<int> finishedIds_;        // connections whose thread is about to return
};

}  // namespace uplift::testing
