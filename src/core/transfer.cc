// Transfer: libcurl easy-handle setup and callbacks for one attempt.
#include "transfer.h"

#include "io_thread.h"
#include "proxy.h"
#include "stream_source.h"
#include "url_source.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cctype>
#include <cstring>

namespace uplift {

std::shared_ptr<::x509_store_st> parseCaStore(const std::string& pem) {
  X509_STORE* store = X509_STORE_new();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  int added = 0;
  if (store && bio) {
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      if (X509_STORE_add_cert(store, cert) == 1) ++added;
      X509_free(cert);
    }
  }
  ERR_clear_error();  // the read loop ends on "no start line"
  if (bio) BIO_free(bio);
  if (added == 0) {
    if (store) X509_STORE_free(store);
    return nullptr;
  }
  return std::shared_ptr<::x509_store_st>(store, [](X509_STORE* s) { X509_STORE_free(s); });
}

namespace {
// Large bodies go out in 512 KiB reads (measured ~15% faster than curl's 64 KiB default).
// Setting the option makes libcurl free the handle's upload buffer and allocate a fresh one
// (fresh pages, faulted in by the first read), so bodies up to kSmallBodyBytes keep the
// default size and the buffer a pooled handle already has: on 64 KiB forms that
// allocation and its page faults were ~20% of the I/O thread's time.
constexpr long kUploadBufferBytes = 512 * 1024;
constexpr uint64_t kSmallBodyBytes = 1024 * 1024;
}

Transfer::Transfer(std::shared_ptr<Job> job, HttpRequest req, Done done)
    : job_(std::move(job)), req_(std::move(req)), done_(std::move(done)) {
  errbuf_[0] = 0;
  // Held from construction (on the submitting thread), before any other reader can make
  // the stream release these bytes.
  const BodyRange& r = streamedRange();
  if (StreamSource* s = asStream(r.source)) streamHold_ = s->addHold(r.offset);
}

Transfer::~Transfer() {
  if (UrlSource* u = asUrl(streamedRange().source)) u->closeReader(urlReader_);
  if (streamHold_) {
    if (StreamSource* s = asStream(streamedRange().source)) s->removeHold(streamHold_);
  }
  if (easy_) curl_easy_cleanup(easy_);
  if (mime_) curl_mime_free(mime_);
  if (headerList_) curl_slist_free_all(headerList_);
}

bool Transfer::prepare(CURLSH* share, const TlsOptions& tls, Error* err) {
  ++attempt_;
  resp_ = HttpResponse();
  resp_.attempts = attempt_;
  readPos_ = 0;
  formFilePos_ = 0;
  counted_ = 0;
  lastUl_ = lastDl_ = 0;
  stalled_ = false;
  responseBytes_ = 0;
  answering_ = false;
  responseTimedOut_ = false;
  localError_ = Error();
  errbuf_[0] = 0;
  lastActivity_ = std::chrono::steady_clock::now();

  easy_ = thread_ ? thread_->takeEasy() : curl_easy_init();
  if (!easy_) {
    *err = makeError(codes::kInternal, "libcurl could not create a handle");
    return false;
  }
  const Timeouts& t = job_->options().timeouts;
  curl_easy_setopt(easy_, CURLOPT_PRIVATE, this);
  curl_easy_setopt(easy_, CURLOPT_URL, req_.url.c_str());
  curl_easy_setopt(easy_, CURLOPT_SHARE, share);
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, errbuf_);
  curl_easy_setopt(easy_, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
  curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(easy_, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, t.connectMs);
  curl_easy_setopt(easy_, CURLOPT_TCP_KEEPALIVE, 1L);
  if (streamedRange().length > kSmallBodyBytes) {
    curl_easy_setopt(easy_, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferBytes);
  }
  curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &Transfer::onHeader);
  curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Transfer::onWrite);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy_, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy_, CURLOPT_XFERINFOFUNCTION, &Transfer::onProgress);
  curl_easy_setopt(easy_, CURLOPT_XFERINFODATA, this);
  if (!tls.caFile.empty()) {
    curl_easy_setopt(easy_, CURLOPT_CAINFO, tls.caFile.c_str());
  } else if (!tls.caPem.empty()) {
#if LIBCURL_VERSION_NUM >= 0x074d00  // 7.77.0: CA certificates from memory
    // The trust set is exactly this PEM (as Node's `ca`): no default file or directory.
    curl_easy_setopt(easy_, CURLOPT_CAPATH, nullptr);
    bool shared = false;
    if (tls.caStore) {
      // The engine's parsed store goes into each new TLS context (OpenSSL builds of libcurl).
      auto install = +[](CURL*, void* sslctx, void* store) -> CURLcode {
        SSL_CTX_set1_cert_store(static_cast<SSL_CTX*>(sslctx), static_cast<X509_STORE*>(store));
        return CURLE_OK;
      };
      shared = curl_easy_setopt(easy_, CURLOPT_SSL_CTX_DATA, tls.caStore.get()) == CURLE_OK &&
               curl_easy_setopt(easy_, CURLOPT_SSL_CTX_FUNCTION, install) == CURLE_OK;
      if (shared) curl_easy_setopt(easy_, CURLOPT_CAINFO, nullptr);  // skip loading a default file
    }
    if (!shared) {
      curl_blob blob{const_cast<char*>(tls.caPem.data()), tls.caPem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(easy_, CURLOPT_CAINFO_BLOB, &blob);
    }
#endif
  }
  if (tls.insecureSkipVerify) {
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  applyProxy(easy_, job_->options().proxy, req_.url, tls);
  if (UrlSource* u = asUrl(streamedRange().source)) u->attach(job_);
  gated_ = false;
  pausedInAttempt_ = false;

  if (headerList_) {
    curl_slist_free_all(headerList_);
    headerList_ = nullptr;
  }
  for (const auto& h : req_.headers) {
    std::string line = h.second.empty() ? h.first + ";" : h.first + ": " + h.second;
    headerList_ = curl_slist_append(headerList_, line.c_str());
  }

  if (req_.isForm) {
    if (!buildForm(err)) return false;
    curl_easy_setopt(easy_, CURLOPT_MIMEPOST, mime_);
    if (req_.method != "POST") curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, req_.method.c_str());
  } else if (req_.hasInlineBody) {
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(req_.inlineBody.size()));
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, req_.inlineBody.data());
    if (req_.method != "POST") curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, req_.method.c_str());
  } else if (req_.method == "PUT" || req_.body.source) {
    curl_easy_setopt(easy_, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req_.body.length));
    curl_easy_setopt(easy_, CURLOPT_READFUNCTION, &Transfer::onRead);
    curl_easy_setopt(easy_, CURLOPT_READDATA, this);
    curl_easy_setopt(easy_, CURLOPT_SEEKFUNCTION, &Transfer::onSeek);
    curl_easy_setopt(easy_, CURLOPT_SEEKDATA, this);
    if (req_.method != "PUT") curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, req_.method.c_str());
    // curl adds "Transfer-Encoding: chunked" only without a size; never send Expect for
    // small bodies, keep it (with a short wait) for large ones so an early 403 saves bytes.
    curl_easy_setopt(easy_, CURLOPT_EXPECT_100_TIMEOUT_MS, 1000L);
  } else if (req_.method == "GET") {
    curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
  } else if (req_.method == "HEAD") {
    curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, req_.method.c_str());
    if (req_.method == "POST") {
      curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
      curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, "");
    }
  }
  if (headerList_) curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headerList_);
  return true;
}

bool Transfer::buildForm(Error* err) {
  if (mime_) {
    curl_mime_free(mime_);
    mime_ = nullptr;
  }
  mime_ = curl_mime_init(easy_);
  auto addField = [&](const FormField& f) {
    curl_mimepart* part = curl_mime_addpart(mime_);
    curl_mime_name(part, f.name.c_str());
    curl_mime_data(part, f.value.data(), f.value.size());
  };
  for (const auto& f : req_.form.fields) addField(f);
  curl_mimepart* file = curl_mime_addpart(mime_);
  curl_mime_name(file, req_.form.fileField.c_str());
  curl_mime_filename(file, req_.form.fileName.c_str());
  curl_mime_type(file, req_.form.fileContentType.empty() ? "application/octet-stream"
                                                         : req_.form.fileContentType.c_str());
  CURLcode rc = curl_mime_data_cb(
      file, static_cast<curl_off_t>(req_.form.file.length),
      [](char* buf, size_t size, size_t n, void* self) -> size_t {
        auto* t = static_cast<Transfer*>(self);
        return t->readBody(t->req_.form.file, &t->formFilePos_, buf, size * n);
      },
      [](void* self, curl_off_t offset, int origin) -> int {
        auto* t = static_cast<Transfer*>(self);
        if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
        t->job_->addSent(-t->counted_);
        t->counted_ = 0;
        t->formFilePos_ = static_cast<uint64_t>(offset);
        return CURL_SEEKFUNC_OK;
      },
      nullptr, this);
  if (rc != CURLE_OK) {
    *err = makeError(codes::kInternal, "building the form failed");
    return false;
  }
  for (const auto& f : req_.form.fieldsAfterFile) addField(f);
  return true;
}

size_t Transfer::pauseForData(uint64_t offset) {
  waitingForData_ = true;
  std::weak_ptr<Transfer> weak = weak_from_this();
  IoThread* thread = thread_;
  auto wake = [weak, thread] {
    if (auto t = weak.lock()) {
      if (thread) thread->unpause(t);
    }
  };
  if (UrlSource* u = asUrl(streamedRange().source)) {
    u->waitForReader(urlReader_, std::move(wake));
    return CURL_READFUNC_PAUSE;
  }
  StreamSource* s = asStream(streamedRange().source);
  s->waitForData(offset, std::move(wake));
  return CURL_READFUNC_PAUSE;
}

size_t Transfer::gate() {
  gated_ = true;
  if (thread_) thread_->gate(shared_from_this());
  return CURL_READFUNC_PAUSE;
}

bool Transfer::hasTokens() const {
  for (TokenBucket* b : job_->buckets()) {
    if (b->available(1) == 0) return false;
  }
  return true;
}

size_t Transfer::readBody(const BodyRange& range, uint64_t* pos, char* buf, size_t max) {
  if (job_->cancelled()) return CURL_READFUNC_ABORT;
  if (*pos >= range.length || !range.source) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(max, range.length - *pos));
  if (thread_ && job_->paused()) {
    pausedInAttempt_ = true;
    return gate();
  }
  uint64_t granted = thread_ ? grantFrom(job_->buckets(), want) : want;
  if (granted == 0) return gate();
  auto giveBack = [this](uint64_t n) {
    if (n == 0) return;
    for (TokenBucket* b : job_->buckets()) b->giveBack(n);
  };
  want = static_cast<size_t>(granted);
  Error err;
  UrlSource* url = asUrl(range.source);
  int64_t got = url ? url->readRange(&urlReader_, range.offset + *pos, range.offset + range.length, buf,
                                     want, &err)
                    : range.source->readAt(range.offset + *pos, buf, want, &err);
  if (got == StreamSource::kWouldBlock) {
    giveBack(granted);
    return pauseForData(range.offset + *pos);
  }
  if (got < 0) {
    giveBack(granted);
    localError_ = err;
    return CURL_READFUNC_ABORT;
  }
  giveBack(granted - static_cast<uint64_t>(got));
  waitingForData_ = false;
  *pos += static_cast<uint64_t>(got);
  if (streamHold_) asStream(range.source)->moveHold(streamHold_, range.offset + *pos);
  counted_ += got;
  resp_.bytesSent += static_cast<uint64_t>(got);
  job_->addSent(got);
  job_->maybeEmitProgress(false);
  return static_cast<size_t>(got);
}

size_t Transfer::onRead(char* buf, size_t size, size_t n, void* self) {
  auto* t = static_cast<Transfer*>(self);
  return t->readBody(t->req_.body, &t->readPos_, buf, size * n);
}

int Transfer::onSeek(void* self, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(self);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > t->req_.body.length) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  // curl rewinds (e.g. after a 100-continue timeout race): roll the progress back.
  int64_t back = t->counted_ - offset;
  t->job_->addSent(-back);
  t->counted_ = offset;
  t->resp_.bytesSent = static_cast<uint64_t>(offset);
  t->readPos_ = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t Transfer::onHeader(char* buf, size_t size, size_t n, void* self) {
  auto* t = static_cast<Transfer*>(self);
  size_t len = size * n;
  std::string line(buf, len);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    t->resp_.headers.clear();  // a new response (after 100 Continue) starts
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0) return len;
  std::string name = line.substr(0, colon);
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t v = colon + 1;
  while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
  t->resp_.headers.emplace_back(std::move(name), line.substr(v));
  return len;
}

size_t Transfer::onWrite(char* buf, size_t size, size_t n, void* self) {
  auto* t = static_cast<Transfer*>(self);
  size_t len = size * n;
  if (!t->answering_) {  // an answer body before the request body ended: the clock starts
    t->answering_ = true;
    t->answerSince_ = std::chrono::steady_clock::now();
  }
  t->responseBytes_ += len;
  if (t->responseBytes_ > t->req_.maxResponseBytes) {
    t->localError_ = makeError(
        codes::kBadResponse, "the server's answer to " + t->req_.method + " is longer than " +
                                 std::to_string(t->req_.maxResponseBytes) +
                                 " bytes, the most an upload's answer may be; the peer is not "
                                 "behaving as a storage service");
    t->localError_.httpStatus = t->resp_.status;
    t->localError_.partNumber = t->req_.partNumber;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  size_t room = t->req_.maxResponseBody > t->resp_.body.size()
                    ? t->req_.maxResponseBody - t->resp_.body.size()
                    : 0;
  t->resp_.body.append(buf, std::min(len, room));
  return len;  // the rest is read and dropped, so the connection stays reusable
}

int Transfer::onProgress(void* self, curl_off_t, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(self);
  if (t->job_->cancelled()) return 1;
  auto now = std::chrono::steady_clock::now();
  if (!t->answering_) {
    // The request is sent once every body byte went out (curl's total for a form, which
    // includes the multipart framing; a bodiless request counts from its start).
    uint64_t want = t->req_.isForm          ? static_cast<uint64_t>(ultotal > 0 ? ultotal : 1)
                    : t->req_.hasInlineBody ? t->req_.inlineBody.size()
                    : t->req_.body.source   ? t->req_.body.length
                                            : 0;
    if (static_cast<uint64_t>(ulnow) >= want) {
      t->answering_ = true;
      t->answerSince_ = now;
    }
  }
  long responseMs = t->job_->options().timeouts.responseMs;
  if (t->answering_ && responseMs > 0 &&
      std::chrono::duration_cast<std::chrono::milliseconds>(now - t->answerSince_).count() >
          responseMs) {
    t->responseTimedOut_ = true;
    return 1;
  }
  if (static_cast<uint64_t>(ulnow) != t->lastUl_ || static_cast<uint64_t>(dlnow) != t->lastDl_) {
    t->lastUl_ = static_cast<uint64_t>(ulnow);
    t->lastDl_ = static_cast<uint64_t>(dlnow);
    t->lastActivity_ = now;
    return 0;
  }
  if (t->job_->pastDeadline()) return 1;
  bool awaitingSlowAnswer = t->req_.slowAnswer && t->answering_ && dlnow == 0;
  if (t->waitingForData_ || t->gated_ || t->job_->paused() || awaitingSlowAnswer) {
    // Waiting for the stream's producer, a bandwidth cap or resume() is not a network stall,
    // nor is a slow-answer request's wait for its answer (responseMs bounds that).
    t->lastActivity_ = now;
    return 0;
  }
  long stallMs = t->job_->options().timeouts.stallMs;
  if (stallMs > 0 &&
      std::chrono::duration_cast<std::chrono::milliseconds>(now - t->lastActivity_).count() >
          stallMs) {
    t->stalled_ = true;
    return 1;
  }
  if (t->job_->pastDeadline()) return 1;
  return 0;
}

void Transfer::endAttempt(bool success) {
  if (urlReader_) {  // a retried request fetches its range again rather than holding it
    if (UrlSource* u = asUrl(streamedRange().source)) u->closeReader(urlReader_);
    urlReader_ = 0;
  }
  if (!success && counted_ != 0) {
    job_->addSent(-counted_);
    counted_ = 0;
  }
  if (easy_) {
    if (thread_) {
      thread_->giveEasy(easy_);  // reset and kept for the next transfer (buffers reused)
    } else {
      curl_easy_cleanup(easy_);
    }
    easy_ = nullptr;
  }
  if (mime_) {
    curl_mime_free(mime_);
    mime_ = nullptr;
  }
}

void Transfer::finish(const Error& err) {
  if (finished_) return;
  finished_ = true;
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(err, resp_);
}

}  // namespace uplift
