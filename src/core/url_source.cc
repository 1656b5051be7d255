// UrlSource: ranged GETs on the source's own libcurl multi loop, each feeding one reader
// through a bounded window (see url_source.h).
#include "url_source.h"

#include <curl/curl.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine.h"
#include "proxy.h"
#include "retry.h"

namespace uplift {

using Clock = std::chrono::steady_clock;

std::string shownUrl(const std::string& url) {
  std::string u = url;
  size_t q = u.find_first_of("?#");
  bool hadQuery = q != std::string::npos;
  if (hadQuery) u.erase(q);
  size_t scheme = u.find("://");
  size_t hostStart = scheme == std::string::npos ? 0 : scheme + 3;
  size_t pathStart = u.find('/', hostStart);
  size_t at = u.rfind('@', pathStart == std::string::npos ? u.size() : pathStart);
  if (at != std::string::npos && at >= hostStart) u.erase(hostStart, at + 1 - hostStart);
  if (hadQuery) u += "?\xE2\x80\xA6";  // "?…": the query (and its signature) is not shown
  return u;
}

namespace {

struct GetSettings {
  TlsOptions tls;
  ProxySettings proxy;
  Timeouts timeouts;
  RetryPolicy retry;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Parses "bytes a-b/total" (total may be "*") or "bytes */total". -1 for absent parts.
bool parseContentRange(const std::string& v, int64_t* a, int64_t* b, int64_t* total) {
  *a = *b = *total = -1;
  std::string s = v;
  size_t sp = s.find(' ');
  if (sp == std::string::npos || lower(s.substr(0, sp)) != "bytes") return false;
  s = s.substr(sp + 1);
  size_t slash = s.find('/');
  if (slash == std::string::npos) return false;
  std::string range = s.substr(0, slash), tot = s.substr(slash + 1);
  auto num = [](const std::string& x, int64_t* out) {
    if (x.empty() || x.size() > 18 || !std::all_of(x.begin(), x.end(), ::isdigit)) return false;
    *out = std::stoll(x);
    return true;
  };
  if (tot != "*" && !num(tot, total)) return false;
  if (range == "*") return true;
  size_t dash = range.find('-');
  if (dash == std::string::npos) return false;
  return num(range.substr(0, dash), a) && num(range.substr(dash + 1), b) && *b >= *a;
}

std::string header(const Headers& h, const char* lowerName) {
  for (const auto& kv : h) {
    if (kv.first == lowerName) return kv.second;
  }
  return std::string();
}

// Options every GET of a URL source shares with the uploads: TLS trust, proxy, timeouts.
void setupEasy(CURL* easy, const std::string& url, curl_slist* headers, const GetSettings& s,
               char* errbuf) {
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, s.timeouts.connectMs);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 128L * 1024);
  if (!s.tls.caFile.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, s.tls.caFile.c_str());
  } else if (!s.tls.caPem.empty()) {
#if LIBCURL_VERSION_NUM >= 0x074d00
    curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
    bool shared = false;
    if (s.tls.caStore) {
      auto install = +[](CURL*, void* sslctx, void* store) -> CURLcode {
        SSL_CTX_set1_cert_store(static_cast<SSL_CTX*>(sslctx), static_cast<X509_STORE*>(store));
        return CURLE_OK;
      };
      shared = curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, s.tls.caStore.get()) == CURLE_OK &&
               curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, install) == CURLE_OK;
      if (shared) curl_easy_setopt(easy, CURLOPT_CAINFO, nullptr);
    }
    if (!shared) {
      curl_blob blob{const_cast<char*>(s.tls.caPem.data()), s.tls.caPem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
    }
#endif
  }
  if (s.tls.insecureSkipVerify) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  applyProxy(easy, s.proxy, url, s.tls);
  if (headers) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
}

curl_slist* headerList(const Headers& user, const std::string& range) {
  curl_slist* list = nullptr;
  for (const auto& h : user) {
    std::string line = h.second.empty() ? h.first + ";" : h.first + ": " + h.second;
    list = curl_slist_append(list, line.c_str());
  }
  if (!range.empty()) list = curl_slist_append(list, ("Range: bytes=" + range).c_str());
  return list;
}

// Collects the headers of the final answer; the status from each status line.
struct HeaderSink {
  long status = 0;
  Headers headers;
  void line(const char* buf, size_t len) {
    std::string l(buf, len);
    while (!l.empty() && (l.back() == '\r' || l.back() == '\n')) l.pop_back();
    if (l.rfind("HTTP/", 0) == 0) {
      headers.clear();
      size_t sp = l.find(' ');
      status = sp == std::string::npos ? 0 : std::strtol(l.c_str() + sp + 1, nullptr, 10);
      return;
    }
    size_t colon = l.find(':');
    if (colon == std::string::npos || colon == 0) return;
    size_t v = colon + 1;
    while (v < l.size() && (l[v] == ' ' || l[v] == '\t')) ++v;
    headers.emplace_back(lower(l.substr(0, colon)), l.substr(v));
  }
};

Error readError(const std::string& shown, const std::string& detail, bool changed) {
  return makeError(changed ? codes::kSourceChanged : codes::kBadResponse,
                   "reading the source " + shown + ": " + detail);
}

Error classifyGet(CURLcode rc, const char* errbuf, long status, const HeaderSink& h,
                  const std::string& body, const std::string& shown) {
  HttpRequest req;
  req.method = "GET";
  HttpResponse resp;
  resp.status = status;
  resp.headers = h.headers;
  resp.body = body;
  Error e = classifyOutcome(rc, errbuf, status > 0, req, resp);
  if (e.code.empty()) return e;
  e.message = "reading the source " + shown + ": " + e.message;
  if (!e.retryable && (status == 401 || status == 403) && e.code == codes::kHttp) {
    e.message += " (check the source URL's signature, expiry and headers)";
  }
  return e;
}

}  // namespace

// ---------------------------------------------------------------------------------------

struct Reader {
  int id = 0;
  bool anon = false;
  uint64_t end = 0;
  uint64_t pos = 0;   // next byte the consumer reads
  uint64_t recv = 0;  // the byte after the last one received
  std::deque<std::string> chunks;
  size_t frontSkip = 0;
  uint64_t buffered = 0;
  Error error;
  bool closed = false;
  bool done = false;
  std::function<void()> waiter;
  bool paused = false;  // the GET is paused: the window is full
  // GET thread only:
  struct UrlSource::Core* core = nullptr;
  CURL* easy = nullptr;
  curl_slist* hdrs = nullptr;
  char errbuf[CURL_ERROR_SIZE];
  int attempts = 0;
  bool failedBefore = false;
  Clock::time_point firstFailure;
  HeaderSink sink;
  bool checked = false;
  bool whole200 = false;
  bool stopOk = false;
  uint64_t attemptStart = 0;
  Error attemptErr;
  std::string errBody;
  curl_off_t lastDl = 0;
  Clock::time_point lastActivity;
};

struct UrlSource::Core : std::enable_shared_from_this<UrlSource::Core> {
  UrlSpec spec;
  std::string shown;
  uint64_t window;
  CURLM* multi = curl_multi_init();

  mutable std::mutex mu;  // guards everything below that is not marked "thread only"
  std::map<int, std::shared_ptr<Reader>> readers;
  int nextId = 1;
  bool attached = false;
  GetSettings settings;
  std::weak_ptr<Job> job;
  int cancelHook = 0;
  Error cancelled;
  std::string etag, lastModified;
  uint64_t total = 0, highWater = 0;
  std::atomic<int> requests{0};
  bool threadStarted = false;
  bool stopping = false;
  std::vector<std::shared_ptr<Reader>> toStart, toClose;
  std::thread thread;
  // Thread only:
  std::unordered_map<CURL*, std::shared_ptr<Reader>> active;
  std::multimap<Clock::time_point, std::shared_ptr<Reader>> retries;
  std::mt19937_64 rng{static_cast<uint64_t>(Clock::now().time_since_epoch().count())};

  ~Core() {
    for (auto& kv : active) {
      curl_multi_remove_handle(multi, kv.first);
      curl_easy_cleanup(kv.first);
      curl_slist_free_all(kv.second->hdrs);
      kv.second->easy = nullptr;
    }
    curl_multi_cleanup(multi);
  }

  void wakeThread() { curl_multi_wakeup(multi); }

  // Under mu.
  std::shared_ptr<Reader> openLocked(uint64_t offset, uint64_t end, bool anon) {
    auto r = std::make_shared<Reader>();
    r->id = nextId++;
    r->anon = anon;
    r->pos = r->recv = offset;
    r->end = end;
    r->core = this;
    readers[r->id] = r;
    if (!cancelled.code.empty()) {
      r->error = cancelled;
      return r;
    }
    if (!attached) {
      r->error = makeError(codes::kInternal, "the URL source was read before it was bound to a job");
      return r;
    }
    if (!threadStarted) {
      threadStarted = true;
      std::shared_ptr<Core> self = shared_from_this();
      thread = std::thread([self] { self->run(); });
    }
    toStart.push_back(r);
    return r;
  }

  // Under mu.
  void closeLocked(std::shared_ptr<Reader> r) {  // by value: r may be the map's own entry
    if (r->closed) return;
    r->closed = true;
    readers.erase(r->id);
    total -= r->buffered;
    r->buffered = 0;
    r->chunks.clear();
    r->waiter = nullptr;
    toClose.push_back(r);
  }

  int64_t readFrom(const std::shared_ptr<Reader>& r, void* buf, size_t n, Error* err,
                   bool* wakeGet) {
    if (!r->error.code.empty()) {
      *err = r->error;
      return -1;
    }
    if (r->buffered == 0) return r->pos >= r->end ? 0 : kWouldBlock;
    size_t copied = 0;
    while (copied < n && !r->chunks.empty()) {
      std::string& c = r->chunks.front();
      size_t take = std::min(n - copied, c.size() - r->frontSkip);
      std::memcpy(static_cast<char*>(buf) + copied, c.data() + r->frontSkip, take);
      copied += take;
      r->frontSkip += take;
      if (r->frontSkip == c.size()) {
        r->chunks.pop_front();
        r->frontSkip = 0;
      }
    }
    r->pos += copied;
    r->buffered -= copied;
    total -= copied;
    if (r->paused && r->buffered <= window / 2) *wakeGet = true;
    return static_cast<int64_t>(copied);
  }

  // Validates the answer of an attempt once its headers are in (under mu).
  Error checkAnswer(Reader& r) {
    r.checked = true;
    long status = r.sink.status;
    if (status < 200 || status >= 300) return Error();
    std::string et = header(r.sink.headers, "etag");
    std::string lm = header(r.sink.headers, "last-modified");
    if (!etag.empty() && !et.empty() && et != etag) {
      return readError(shown, "its ETag changed from " + etag + " to " + et +
                                  " during the upload; upload it again once it is stable", true);
    }
    if (!lastModified.empty() && !lm.empty() && lm != lastModified) {
      return readError(shown, "its Last-Modified changed from " + lastModified + " to " + lm +
                                  " during the upload; upload it again once it is stable", true);
    }
    if (etag.empty()) etag = et;
    if (lastModified.empty()) lastModified = lm;
    if (status == 206) {
      int64_t a, b, t;
      std::string cr = header(r.sink.headers, "content-range");
      if (!parseContentRange(cr, &a, &b, &t) || a < 0) {
        return readError(shown, "answered 206 with an unreadable Content-Range '" + cr + "'", false);
      }
      if (t >= 0 && static_cast<uint64_t>(t) != spec.size) {
        return readError(shown, "it is now " + std::to_string(t) + " bytes long, not the " +
                                    std::to_string(spec.size) + " it had when the upload began",
                         true);
      }
      if (static_cast<uint64_t>(a) != r.recv) {
        return readError(shown, "asked for bytes from " + std::to_string(r.recv) +
                                    ", the server sent bytes from " + std::to_string(a), true);
      }
      return Error();
    }
    if (status == 200) {
      if (r.recv != 0) {
        return readError(shown, "the server ignored the Range header (HTTP 200 to a request for "
                                "bytes from " + std::to_string(r.recv) +
                                    "), so the bytes cannot be fetched range by range", true);
      }
      std::string cl = header(r.sink.headers, "content-length");
      if (!cl.empty() && std::strtoull(cl.c_str(), nullptr, 10) != spec.size) {
        return readError(shown, "it is now " + cl + " bytes long, not the " +
                                    std::to_string(spec.size) + " it had when the upload began",
                         true);
      }
      r.whole200 = true;
    }
    return Error();
  }

  // ---- GET thread ----

  static size_t onHeader(char* buf, size_t size, size_t n, void* ud) {
    static_cast<Reader*>(ud)->sink.line(buf, size * n);
    return size * n;
  }

  static size_t onWrite(char* buf, size_t size, size_t n, void* ud) {
    auto* r = static_cast<Reader*>(ud);
    Core* c = r->core;
    size_t len = size * n;
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> lock(c->mu);
      if (r->closed || !r->error.code.empty()) return 0;
      if (!r->checked) {
        Error e = c->checkAnswer(*r);
        if (!e.code.empty()) {
          r->attemptErr = e;
          return 0;
        }
      }
      long status = r->sink.status;
      if (status < 200 || status >= 300) {
        if (r->errBody.size() < 64 * 1024) r->errBody.append(buf, std::min<size_t>(len, 64 * 1024));
        return len;
      }
      if (r->buffered >= c->window) {
        r->paused = true;
        return CURL_WRITEFUNC_PAUSE;
      }
      uint64_t want = r->end - r->recv;
      size_t take = static_cast<size_t>(std::min<uint64_t>(len, want));
      if (take > 0) {
        r->chunks.emplace_back(buf, take);
        r->recv += take;
        r->buffered += take;
        c->total += take;
        c->highWater = std::max(c->highWater, c->total);
        wake = std::move(r->waiter);
        r->waiter = nullptr;
      }
      if (take < len) {
        if (r->whole200) {
          r->stopOk = true;  // a whole-object answer: the bytes past this range are not needed
        } else {
          r->attemptErr = readError(c->shown, "the server sent more bytes than the range asked", false);
        }
        len = 0;
      }
    }
    if (wake) wake();
    return len;
  }

  static int onProgress(void* ud, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t) {
    auto* r = static_cast<Reader*>(ud);
    Core* c = r->core;
    auto now = Clock::now();
    long stallMs;
    {
      std::lock_guard<std::mutex> lock(c->mu);
      if (r->closed || !r->error.code.empty()) return 1;
      stallMs = c->settings.timeouts.stallMs;
      if (dlnow != r->lastDl || r->paused) {
        r->lastDl = dlnow;
        r->lastActivity = now;
        return 0;
      }
    }
    if (stallMs > 0 &&
        std::chrono::duration_cast<std::chrono::milliseconds>(now - r->lastActivity).count() > stallMs) {
      return 1;
    }
    return 0;
  }

  void startGet(const std::shared_ptr<Reader>& r) {
    GetSettings s;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (r->closed) return;
      s = settings;
      r->sink = HeaderSink();
      r->checked = r->whole200 = r->stopOk = false;
      r->attemptErr = Error();
      r->errBody.clear();
      r->attemptStart = r->recv;
      r->lastDl = 0;
      r->lastActivity = Clock::now();
      r->paused = false;
    }
    ++r->attempts;
    requests.fetch_add(1);
    CURL* easy = curl_easy_init();
    r->errbuf[0] = 0;
    if (r->hdrs) curl_slist_free_all(r->hdrs);
    r->hdrs = headerList(spec.headers, std::to_string(r->recv) + "-" + std::to_string(r->end - 1));
    setupEasy(easy, spec.url, r->hdrs, s, r->errbuf);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, r.get());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Core::onHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, r.get());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Core::onWrite);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, r.get());
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &Core::onProgress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, r.get());
    r->easy = easy;
    active[easy] = r;
    curl_multi_add_handle(multi, easy);
  }

  void dropEasy(const std::shared_ptr<Reader>& r) {
    if (!r->easy) return;
    curl_multi_remove_handle(multi, r->easy);
    active.erase(r->easy);
    curl_easy_cleanup(r->easy);
    r->easy = nullptr;
    if (r->hdrs) curl_slist_free_all(r->hdrs);
    r->hdrs = nullptr;
  }

  void completed(CURL* easy, CURLcode rc) {
    auto it = active.find(easy);
    if (it == active.end()) return;
    std::shared_ptr<Reader> r = it->second;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    dropEasy(r);
    std::function<void()> wake;
    bool retry = false;
    long delay = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (r->closed || !r->error.code.empty()) return;
      Error e;
      if (!r->checked && status >= 200 && status < 300) e = checkAnswer(*r);
      if (e.code.empty()) e = r->attemptErr;
      if (e.code.empty()) {
        if (r->stopOk || r->recv >= r->end) {
          r->done = true;
        } else if (rc == CURLE_OK && status >= 200 && status < 300) {
          e = makeError(codes::kNetwork, "reading the source " + shown + ": the answer ended after " +
                                             std::to_string(r->recv - r->attemptStart) +
                                             " bytes, before the range was complete");
          e.retryable = true;
        } else if (rc == CURLE_ABORTED_BY_CALLBACK) {
          e = makeError(codes::kTimeout, "reading the source " + shown + ": no bytes came for " +
                                             std::to_string(settings.timeouts.stallMs) +
                                             " ms (stall timeout)");
          e.timeoutKind = "stall";
          e.retryable = true;
        } else {
          e = classifyGet(rc, r->errbuf, status, r->sink, r->errBody, shown);
          if (e.code.empty()) {
            e = readError(shown, "the answer (HTTP " + std::to_string(status) + ") is not usable", false);
          }
        }
      }
      if (!e.code.empty()) {
        // An attempt that delivered bytes starts the count again: only failures in a row count.
        if (r->recv > r->attemptStart) r->attempts = 1;
        auto now = Clock::now();
        if (!r->failedBefore) r->firstFailure = now;
        r->failedBefore = true;
        const RetryPolicy& p = settings.retry;
        bool budget = r->attempts < p.maxAttempts ||
                      (p.maxElapsedMs > 0 && now - r->firstFailure < std::chrono::milliseconds(p.maxElapsedMs));
        if (e.retryable && budget) {
          std::uniform_real_distribution<double> dist(0.0, 1.0);
          delay = backoffDelayMs(p, r->attempts, e.retryAfterMs, dist(rng));
          retry = true;
        } else {
          e.attempts = r->attempts;
          e.retryable = false;  // retried here already; the upload request must not repeat it
          r->error = e;
        }
      }
      if (!retry) {
        wake = std::move(r->waiter);
        r->waiter = nullptr;
      }
    }
    if (retry) retries.emplace(Clock::now() + std::chrono::milliseconds(delay), r);
    if (wake) wake();
  }

  void run() {
    for (;;) {
      std::vector<std::shared_ptr<Reader>> start, close, unpause;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stopping) break;
        start.swap(toStart);
        close.swap(toClose);
        for (auto& kv : active) {
          Reader& r = *kv.second;
          if (r.paused && r.buffered <= window / 2) {
            r.paused = false;
            unpause.push_back(kv.second);
          }
        }
      }
      for (auto& r : close) {
        dropEasy(r);
        for (auto it = retries.begin(); it != retries.end();) {
          it = it->second == r ? retries.erase(it) : std::next(it);
        }
      }
      for (auto& r : start) startGet(r);
      auto now = Clock::now();
      while (!retries.empty() && retries.begin()->first <= now) {
        std::shared_ptr<Reader> r = retries.begin()->second;
        retries.erase(retries.begin());
        startGet(r);
      }
      for (auto& r : unpause) {
        if (r->easy) curl_easy_pause(r->easy, CURLPAUSE_CONT);
      }
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg == CURLMSG_DONE) completed(msg->easy_handle, msg->data.result);
      }
      long timeout = 500;
      long curlTimeout = -1;
      curl_multi_timeout(multi, &curlTimeout);
      if (curlTimeout >= 0 && curlTimeout < timeout) timeout = curlTimeout;
      if (!retries.empty()) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(retries.begin()->first -
                                                                        Clock::now()).count();
        timeout = std::min<long>(timeout, std::max<long>(0, ms));
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stopping || !toStart.empty() || !toClose.empty()) continue;
        bool wantUnpause = false;
        for (auto& kv : active) wantUnpause |= kv.second->paused && kv.second->buffered <= window / 2;
        if (wantUnpause) continue;
      }
      curl_multi_poll(multi, nullptr, 0, static_cast<int>(timeout), nullptr);
    }
    for (auto& kv : active) {
      curl_multi_remove_handle(multi, kv.first);
      curl_easy_cleanup(kv.first);
      curl_slist_free_all(kv.second->hdrs);
      kv.second->hdrs = nullptr;
      kv.second->easy = nullptr;
    }
    active.clear();
    retries.clear();
  }

  void failAll(const Error& reason) {
    std::vector<std::function<void()>> wakes;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (cancelled.code.empty()) cancelled = reason;
      for (auto& kv : readers) {
        if (kv.second->error.code.empty()) kv.second->error = reason;
        if (kv.second->waiter) wakes.push_back(std::move(kv.second->waiter));
        kv.second->waiter = nullptr;
      }
    }
    wakeThread();
    for (auto& w : wakes) w();
  }
};

UrlSource::UrlSource(UrlSpec spec, uint64_t windowBytes) : core_(std::make_shared<Core>()) {
  ensureCurlGlobalInit();
  core_->shown = shownUrl(spec.url);
  core_->etag = spec.etag;
  core_->lastModified = spec.lastModified;
  core_->spec = std::move(spec);
  core_->window = std::max<uint64_t>(windowBytes, 16 * 1024);
}

UrlSource::~UrlSource() {
  std::shared_ptr<Job> job;
  int hook = 0;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    core_->stopping = true;
    job = core_->job.lock();
    hook = core_->cancelHook;
    core_->cancelHook = 0;
  }
  if (job && hook) job->removeOnCancel(hook);
  core_->wakeThread();
  if (core_->thread.joinable()) {
    // The last reference may go on the GET thread itself (a waiter it woke released it):
    // the thread then ends on its own and frees the core.
    if (core_->thread.get_id() == std::this_thread::get_id()) {
      core_->thread.detach();
    } else {
      core_->thread.join();
    }
  }
}

void UrlSource::attach(const std::shared_ptr<Job>& job) {
  if (!job) return;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    if (core_->attached) return;
    core_->attached = true;
    core_->job = job;
    if (job->engine()) core_->settings.tls = job->engine()->options().tls;
    core_->settings.proxy = job->options().proxy;
    core_->settings.timeouts = job->options().timeouts;
    core_->settings.retry = job->options().retry;
  }
  std::weak_ptr<Core> weak = core_;
  std::weak_ptr<Job> weakJob = job;
  int hook = job->onCancel([weak, weakJob] {
    auto c = weak.lock();
    auto j = weakJob.lock();
    if (!c) return;
    Error reason = j ? j->cancelReason() : Error();
    if (reason.code.empty()) reason = makeError(codes::kAborted, "the upload was aborted");
    c->failAll(reason);
  });
  std::lock_guard<std::mutex> lock(core_->mu);
  core_->cancelHook = hook;
}

uint64_t UrlSource::size() const { return core_->spec.size; }

std::string UrlSource::describe() const { return core_->shown; }

int64_t UrlSource::readRange(int* reader, uint64_t offset, uint64_t end, void* buf, size_t n,
                             Error* err) {
  bool wakeGet = false;
  int64_t got;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    std::shared_ptr<Reader> r;
    auto it = core_->readers.find(*reader);
    if (it != core_->readers.end()) r = it->second;
    if (!r || r->pos != offset || r->end != end) {
      if (r) core_->closeLocked(r);
      if (offset >= end) return 0;
      r = core_->openLocked(offset, end, false);
      *reader = r->id;
      wakeGet = true;
    }
    got = core_->readFrom(r, buf, n, err, &wakeGet);
  }
  if (wakeGet) core_->wakeThread();
  return got;
}

void UrlSource::closeReader(int reader) {
  if (reader == 0) return;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    auto it = core_->readers.find(reader);
    if (it == core_->readers.end()) return;
    core_->closeLocked(it->second);
  }
  core_->wakeThread();
}

void UrlSource::waitForReader(int reader, std::function<void()> wake) {
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    auto it = core_->readers.find(reader);
    if (it != core_->readers.end()) {
      Reader& r = *it->second;
      if (r.buffered == 0 && r.error.code.empty() && r.pos < r.end) {
        r.waiter = std::move(wake);
        return;
      }
    }
  }
  wake();
}

int64_t UrlSource::readAt(uint64_t offset, void* buf, size_t n, Error* err) {
  bool wakeGet = false;
  int64_t got;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    if (offset >= core_->spec.size) return 0;
    std::shared_ptr<Reader> r;
    for (auto& kv : core_->readers) {
      if (kv.second->anon && kv.second->pos == offset) {
        r = kv.second;
        break;
      }
    }
    if (!r) {
      r = core_->openLocked(offset, core_->spec.size, true);
      wakeGet = true;
    }
    got = core_->readFrom(r, buf, n, err, &wakeGet);
    if (got >= 0 && r->pos >= r->end) core_->closeLocked(r);
  }
  if (wakeGet) core_->wakeThread();
  return got;
}

void UrlSource::waitForData(uint64_t offset, std::function<void()> wake) {
  int id = 0;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    for (auto& kv : core_->readers) {
      if (kv.second->anon && kv.second->pos == offset) id = kv.first;
    }
  }
  if (id == 0) {
    wake();
    return;
  }
  waitForReader(id, std::move(wake));
}

void UrlSource::wakeWaiters() {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    for (auto& kv : core_->readers) {
      if (kv.second->waiter) wakes.push_back(std::move(kv.second->waiter));
      kv.second->waiter = nullptr;
    }
  }
  for (auto& w : wakes) w();
}

uint64_t UrlSource::bufferedBytes() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->total;
}

uint64_t UrlSource::highWaterBytes() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->highWater;
}

int UrlSource::getRequests() const { return core_->requests.load(); }

UrlSource* asUrl(const std::shared_ptr<Source>& s) {
  return s && s->isUrl() ? static_cast<UrlSource*>(s.get()) : nullptr;
}

// ---- probe ----

void UrlSource::probe(const std::shared_ptr<Job>& job, UrlSpec spec,
                      std::function<void(const Error&, const UrlProbe&)> done) {
  ensureCurlGlobalInit();
  GetSettings s;
  if (job->engine()) s.tls = job->engine()->options().tls;
  s.proxy = job->options().proxy;
  s.timeouts = job->options().timeouts;
  s.retry = job->options().retry;
  std::thread([job, spec = std::move(spec), s, done = std::move(done)] {
    std::string shown = shownUrl(spec.url);
    UrlProbe out;
    std::mt19937_64 rng(static_cast<uint64_t>(Clock::now().time_since_epoch().count()));
    Error err;
    for (int attempt = 1;; ++attempt) {
      if (job->cancelled()) {
        err = job->cancelReason();
        break;
      }
      struct Ctx {
        HeaderSink sink;
        std::string body;
        bool gotByte = false;
        Job* job;
        long stallMs;
        curl_off_t lastDl = 0;
        Clock::time_point lastActivity = Clock::now();
      } ctx;
      ctx.job = job.get();
      ctx.stallMs = s.timeouts.stallMs;
      char errbuf[CURL_ERROR_SIZE];
      errbuf[0] = 0;
      CURL* easy = curl_easy_init();
      curl_slist* hdrs = headerList(spec.headers, "0-0");
      setupEasy(easy, spec.url, hdrs, s, errbuf);
      curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION,
                       +[](char* b, size_t sz, size_t n, void* ud) -> size_t {
                         static_cast<Ctx*>(ud)->sink.line(b, sz * n);
                         return sz * n;
                       });
      curl_easy_setopt(easy, CURLOPT_HEADERDATA, &ctx);
      curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, +[](char* b, size_t sz, size_t n, void* ud) -> size_t {
        auto* c = static_cast<Ctx*>(ud);
        if (c->sink.status >= 200 && c->sink.status < 300) {
          c->gotByte = true;
          return 0;  // the headers say all that is needed; a whole-object 200 is not read
        }
        if (c->body.size() < 64 * 1024) c->body.append(b, std::min<size_t>(sz * n, 64 * 1024));
        return sz * n;
      });
      curl_easy_setopt(easy, CURLOPT_WRITEDATA, &ctx);
      curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION,
                       +[](void* ud, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t) -> int {
                         auto* c = static_cast<Ctx*>(ud);
                         if (c->job->cancelled()) return 1;
                         auto now = Clock::now();
                         if (dlnow != c->lastDl) {
                           c->lastDl = dlnow;
                           c->lastActivity = now;
                         } else if (c->stallMs > 0 &&
                                    std::chrono::duration_cast<std::chrono::milliseconds>(now - c->lastActivity)
                                            .count() > c->stallMs) {
                           return 1;
                         }
                         return 0;
                       });
      curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &ctx);
      // A multi loop rather than curl_easy_perform, so a cancel is seen within 50 ms.
      CURLcode rc = CURLE_OK;
      CURLM* multi = curl_multi_init();
      curl_multi_add_handle(multi, easy);
      for (int running = 1;;) {
        curl_multi_perform(multi, &running);
        if (!running) {
          int left = 0;
          while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
            if (msg->msg == CURLMSG_DONE) rc = msg->data.result;
          }
          break;
        }
        if (job->cancelled()) {
          rc = CURLE_ABORTED_BY_CALLBACK;
          break;
        }
        curl_multi_poll(multi, nullptr, 0, 50, nullptr);
      }
      curl_multi_remove_handle(multi, easy);
      curl_multi_cleanup(multi);
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      curl_easy_cleanup(easy);
      curl_slist_free_all(hdrs);
      ++out.requests;
      err = Error();
      if (job->cancelled()) {
        err = job->cancelReason();
        break;
      }
      int64_t a, b, t;
      std::string cr = header(ctx.sink.headers, "content-range");
      if ((rc == CURLE_OK || ctx.gotByte) && status == 206) {
        if (!parseContentRange(cr, &a, &b, &t) || t < 0) {
          err = readError(shown, "answered 206 without a usable Content-Range total ('" + cr +
                                     "'); pass source.size", false);
        } else {
          out.size = static_cast<uint64_t>(t);
        }
      } else if ((rc == CURLE_OK || ctx.gotByte) && status == 200) {
        std::string cl = header(ctx.sink.headers, "content-length");
        if (cl.empty() || !std::all_of(cl.begin(), cl.end(), ::isdigit) || cl.size() > 18) {
          err = readError(shown, "the answer gives no Content-Length, so the size is unknown; "
                                 "pass source.size", false);
        } else {
          out.size = std::strtoull(cl.c_str(), nullptr, 10);
        }
      } else if (rc == CURLE_OK && status == 416 &&
                 ((parseContentRange(cr, &a, &b, &t) && t == 0) ||
                  ctx.body.find("<ActualObjectSize>0</ActualObjectSize>") != std::string::npos)) {
        out.size = 0;  // an empty object: no byte 0 to give (S3 names its size in the error)
      } else if (rc == CURLE_ABORTED_BY_CALLBACK) {
        err = makeError(codes::kTimeout, "reading the source " + shown + ": no answer for " +
                                             std::to_string(s.timeouts.stallMs) + " ms (stall timeout)");
        err.timeoutKind = "stall";
        err.retryable = true;
      } else {
        err = classifyGet(rc, errbuf, status, ctx.sink, ctx.body, shown);
        if (err.code.empty()) {
          err = readError(shown, "the answer (HTTP " + std::to_string(status) +
                                     ") to the size probe is not usable; pass source.size", false);
        }
      }
      if (err.code.empty()) {
        out.etag = header(ctx.sink.headers, "etag");
        out.lastModified = header(ctx.sink.headers, "last-modified");
        break;
      }
      if (!err.retryable || attempt >= s.retry.maxAttempts) {
        err.attempts = attempt;
        break;
      }
      std::uniform_real_distribution<double> dist(0.0, 1.0);
      long delay = backoffDelayMs(s.retry, attempt, err.retryAfterMs, dist(rng));
      auto until = Clock::now() + std::chrono::milliseconds(delay);
      while (Clock::now() < until && !job->cancelled()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    done(err, out);
  }).detach();
}

}  // namespace uplift
