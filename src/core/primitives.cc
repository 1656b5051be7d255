// putPresigned, postPresignedForm, uploadPresignedParts: the transfer(s) and the digest of a
// job run side by side; the job ends when both have.
#include "primitives.h"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "batch.h"
#include "side_digest.h"
#include "retry.h"
#include "stream_source.h"

namespace uplift {

namespace {

bool isHex32(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string lowered(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// S3 answers a single PUT with ETag = the quoted hex MD5 of the object, unless the object is
// encrypted with SSE-KMS or SSE-C (then the ETag is not an MD5). When the answer has such an
// ETag and we hashed what was sent, they must agree. (Form POSTs are not checked: peers and
// proxies differ in what their POST ETag covers.)
Error checkMd5Etag(const Headers& headers, const std::string& md5) {
  if (md5.empty()) return Error();
  std::string etag, sse;
  bool customerKey = false;
  for (const auto& h : headers) {
    if (h.first == "etag" && etag.empty()) etag = h.second;
    if (h.first == "x-amz-server-side-encryption") sse = lowered(h.second);
    if (h.first == "x-amz-server-side-encryption-customer-algorithm") customerKey = true;
  }
  if (etag.size() != 34 || etag.front() != '"' || etag.back() != '"') return Error();
  std::string hex = lowered(etag.substr(1, 32));
  if (!isHex32(hex) || sse.rfind("aws:kms", 0) == 0 || customerKey) return Error();
  if (hex == md5) return Error();
  return makeError(codes::kIntegrity, "the server's ETag " + etag +
                                          " is not the MD5 of the bytes sent (" + md5 +
                                          "): the stored object differs from the source");
}

std::string xmlTag(const std::string& body, const std::string& tag) {
  size_t a = body.find("<" + tag + ">");
  if (a == std::string::npos) return "";
  a += tag.size() + 2;
  size_t b = body.find("</" + tag + ">", a);
  return b == std::string::npos ? "" : decodeXmlEntities(body.substr(a, b - a));
}

// Ends a single-body job once its transfer and its digest have: the source checked unchanged
// and the ETag against the MD5, a last progress event, then done.
template <class Result>
void endSingle(const std::shared_ptr<Job>& job, const std::shared_ptr<SideDigest>& digest,
               const std::shared_ptr<Source>& source, const Error& e, std::shared_ptr<Result> result,
               const Headers* answerHeaders, std::function<void(const Error&, Result&)> done) {
  digest->transferEnded(e, [job, source, result, answerHeaders, done](const Error& de, const std::string& md5) {
    Error err = de;
    result->md5 = md5;
    if (err.code.empty() && source) err = source->checkUnchanged();
    if (err.code.empty() && answerHeaders) err = checkMd5Etag(*answerHeaders, md5);
    job->maybeEmitProgress(true);
    done(err, *result);
  });
}

}  // namespace

void putPresigned(Engine& engine, const std::shared_ptr<Job>& job, PutSpec spec,
                  std::function<void(const Error&, PutResult&)> done) {
  job->setTotals(spec.body.length, 1);
  HttpRequest req;
  req.method = spec.method;
  req.url = spec.url;
  req.headers = spec.headers;
  req.body = spec.body;
  req.expectStatus = spec.expectStatus;
  std::shared_ptr<Source> source = spec.body.source;
  auto digest = SideDigest::make(engine, job, spec.body, spec.computeMd5);
  digest->start([&] {
    engine.send(job, std::move(req), [job, digest, source, done](const Error& e, HttpResponse& resp) {
      auto result = std::make_shared<PutResult>();
      if (e.code.empty()) {
        result->status = resp.status;
        result->etag = resp.header("etag");
        result->bytes = resp.bytesSent;
        result->headers = resp.headers;
        result->body = resp.body;
        result->attempts = resp.attempts;
        job->partDone();
      }
      endSingle(job, digest, source, e, result, &result->headers, done);
    });
  });
}

void postPresignedForm(Engine& engine, const std::shared_ptr<Job>& job, FormSpec spec,
                       std::function<void(const Error&, FormResult&)> done) {
  job->setTotals(spec.form.file.length, 1);
  HttpRequest req;
  req.method = "POST";
  req.url = spec.url;
  req.headers = spec.headers;
  req.isForm = true;
  req.form = spec.form;
  req.expectStatus = spec.expectStatus;
  std::shared_ptr<Source> source = spec.form.file.source;
  auto digest = SideDigest::make(engine, job, spec.form.file, spec.computeMd5);
  digest->start([&] {
    engine.send(job, std::move(req), [job, digest, source, done](const Error& e, HttpResponse& resp) {
      auto result = std::make_shared<FormResult>();
      if (e.code.empty()) {
        result->status = resp.status;
        result->bytes = resp.bytesSent;
        result->body = resp.body;
        result->attempts = resp.attempts;
        result->location = resp.header("location");
        if (result->location.empty()) result->location = xmlTag(resp.body, "Location");
        job->partDone();
      }
      // Form POSTs are not checked against the ETag (see checkMd5Etag).
      endSingle(job, digest, source, e, result, nullptr, done);
    });
  });
}

void uploadPresignedParts(Engine& engine, const std::shared_ptr<Job>& job, PartsSpec spec,
                          std::function<void(const Error&, PartsResult&)> done) {
  std::sort(spec.parts.begin(), spec.parts.end(),
            [](const PartSpec& a, const PartSpec& b) { return a.offset < b.offset; });
  auto parts = std::make_shared<const std::vector<PartSpec>>(std::move(spec.parts));
  uint64_t total = 0, largest = 0;
  for (const auto& p : *parts) {
    total += p.length;
    largest = std::max(largest, p.length);
  }
  job->setTotals(total, static_cast<uint32_t>(parts->size()));

  // Filled by the batch's items (on engine threads, concurrently).
  struct Collected {
    std::mutex mu;
    PartsResult result;
  };
  auto run = std::make_shared<Collected>();

  BatchSpec b;
  b.count = parts->size();
  b.concurrency = std::max(1, spec.concurrency);
  b.stream = spec.source;  // a stream holds each part's bytes until it is stored
  b.itemOffset = [parts](size_t i) { return (*parts)[i].offset; };
  b.itemMaxBytes = largest;
  std::shared_ptr<Source> source = spec.source;
  Headers headers = spec.headers;
  b.makeRequest = [parts, source, headers](size_t i) {
    const PartSpec& p = (*parts)[i];
    HttpRequest req;
    req.method = "PUT";
    req.url = p.url;
    req.headers = headers;
    req.body = BodyRange{source, p.offset, p.length};
    req.partNumber = p.partNumber;
    return req;
  };
  b.onItem = [parts, run, job](size_t i, HttpResponse& resp) {
    const PartSpec& p = (*parts)[i];
    std::string etag = resp.header("etag");
    if (etag.empty()) {
      Error e = makeError(codes::kBadResponse,
                          "part " + std::to_string(p.partNumber) + " was accepted without an ETag header");
      e.partNumber = p.partNumber;
      return e;
    }
    {
      std::lock_guard<std::mutex> lock(run->mu);
      run->result.parts.push_back(PartEtag{p.partNumber, etag});
      run->result.bytes += p.length;
    }
    if (job->options().onPart) job->options().onPart(p.partNumber, etag);
    return Error();
  };
  auto digest = SideDigest::make(engine, job, BodyRange{source, 0, source->size()}, spec.computeMd5);
  digest->start([&] {
    runBatch(engine, job, std::move(b), [run, job, digest, source, done](const Error& e, const BatchStats& stats) {
      {
        std::lock_guard<std::mutex> lock(run->mu);
        run->result.retries = stats.retries;
      }
      digest->transferEnded(e, [run, job, source, done](const Error& de, const std::string& md5) {
        Error err = de;
        if (err.code.empty()) err = source->checkUnchanged();
        PartsResult result;
        {
          std::lock_guard<std::mutex> lock(run->mu);
          result = run->result;
        }
        result.md5 = md5;
        std::sort(result.parts.begin(), result.parts.end(),
                  [](const PartEtag& x, const PartEtag& y) { return x.partNumber < y.partNumber; });
        job->maybeEmitProgress(true);
        done(err, result);
      });
    });
  });
}

}  // namespace uplift
