// putPresigned, postPresignedForm, uploadPresignedParts: the transfer(s) and the digest of a
// job run side by side; the job ends when both have.
#include "primitives.h"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "batch.h"
#include "digest.h"
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

// Joins the transfer side and the digest side of a single-body job.
template <class Result>
struct Join {
  std::mutex mu;
  int pending = 2;
  Error err;
  Result result;
  std::string md5;
  std::function<void(const Error&, Result&)> done;
  std::shared_ptr<Source> source;
  // Stops the digest when the transfer failed, without cancelling the job: a vendor flow
  // may go on with the same job (e.g. re-presign an expired URL and PUT again).
  std::shared_ptr<std::atomic<bool>> stopDigest = std::make_shared<std::atomic<bool>>(false);
  Headers answerHeaders;  // of the successful answer, for the ETag check

  // fromTransfer: the error (if any) came from the transfer side.
  void arrive(const Error& e, const std::shared_ptr<Job>& job, bool fromTransfer) {
    bool last = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!e.code.empty() && err.code.empty()) err = e;
      last = --pending == 0;
    }
    if (!e.code.empty()) {
      if (fromTransfer) {
        stopDigest->store(true);
        if (StreamSource* s = asStream(source)) s->wakeWaiters();  // a parked digest sees it
      } else if (!stopDigest->load()) {
        job->cancel(e);  // the source failed: stop the transfer too
      }
    }
    if (!last) return;
    if (err.code.empty() && source) err = source->checkUnchanged();
    if (err.code.empty()) err = checkMd5Etag(answerHeaders, result.md5);
    job->maybeEmitProgress(true);
    done(err, result);
  }
};

std::string xmlTag(const std::string& body, const std::string& tag) {
  size_t a = body.find("<" + tag + ">");
  if (a == std::string::npos) return "";
  a += tag.size() + 2;
  size_t b = body.find("</" + tag + ">", a);
  return b == std::string::npos ? "" : decodeXmlEntities(body.substr(a, b - a));
}

template <class Result>
void startDigest(Engine& engine, const std::shared_ptr<Job>& job, const BodyRange& range,
                 bool wanted, const std::shared_ptr<Join<Result>>& join) {
  // A stream is always checked for its end (hash=false when no MD5 was asked for), so a
  // stream longer than its size fails even when the request never reads it (size 0).
  if ((!wanted && !asStream(range.source)) || !range.source) {
    if (!range.source) join->result.md5 = "d41d8cd98f00b204e9800998ecf8427e";  // empty body
    join->arrive(Error(), job, false);
    return;
  }
  digestAsync(
      engine, job, range,
      [join, job, wanted](const Error& e, const std::string& md5) {
        if (e.code.empty() && wanted) {
          std::lock_guard<std::mutex> lock(join->mu);
          join->result.md5 = md5;
        }
        join->arrive(e, job, false);
      },
      join->stopDigest, wanted);
}

}  // namespace

void putPresigned(Engine& engine, const std::shared_ptr<Job>& job, PutSpec spec,
                  std::function<void(const Error&, PutResult&)> done) {
  auto join = std::make_shared<Join<PutResult>>();
  join->done = std::move(done);
  join->source = spec.body.source;
  job->setTotals(spec.body.length, 1);
  HttpRequest req;
  req.method = spec.method;
  req.url = spec.url;
  req.headers = spec.headers;
  req.body = spec.body;
  req.expectStatus = spec.expectStatus;
  BodyRange range = spec.body;
  engine.send(job, std::move(req), [join, job](const Error& e, HttpResponse& resp) {
    if (e.code.empty()) {
      std::lock_guard<std::mutex> lock(join->mu);
      join->result.status = resp.status;
      join->result.etag = resp.header("etag");
      join->result.bytes = resp.bytesSent;
      join->result.headers = resp.headers;
      join->answerHeaders = resp.headers;
      join->result.body = resp.body;
      join->result.attempts = resp.attempts;
      job->partDone();
    }
    join->arrive(e, job, true);
  });
  startDigest(engine, job, range, spec.computeMd5, join);
}

void postPresignedForm(Engine& engine, const std::shared_ptr<Job>& job, FormSpec spec,
                       std::function<void(const Error&, FormResult&)> done) {
  auto join = std::make_shared<Join<FormResult>>();
  join->done = std::move(done);
  join->source = spec.form.file.source;
  job->setTotals(spec.form.file.length, 1);
  HttpRequest req;
  req.method = "POST";
  req.url = spec.url;
  req.headers = spec.headers;
  req.isForm = true;
  req.form = spec.form;
  req.expectStatus = spec.expectStatus;
  BodyRange range = spec.form.file;
  engine.send(job, std::move(req), [join, job](const Error& e, HttpResponse& resp) {
    if (e.code.empty()) {
      std::lock_guard<std::mutex> lock(join->mu);
      join->result.status = resp.status;
      join->result.bytes = resp.bytesSent;
      join->result.body = resp.body;
      join->result.attempts = resp.attempts;
      join->result.location = resp.header("location");
      if (join->result.location.empty()) join->result.location = xmlTag(resp.body, "Location");
      job->partDone();
    }
    join->arrive(e, job, true);
  });
  startDigest(engine, job, range, spec.computeMd5, join);
}

namespace {

// Joins the parts batch and the whole-source digest of one multipart upload.
struct PartsRun {
  std::shared_ptr<Job> job;
  std::shared_ptr<Source> source;
  std::function<void(const Error&, PartsResult&)> done;

  std::mutex mu;  // guards the three below
  int pending = 2;
  Error err;
  PartsResult result;

  void arrive(const Error& e) {
    bool last;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!e.code.empty() && err.code.empty()) err = e;
      last = --pending == 0;
    }
    if (!e.code.empty()) job->cancel(e);  // the other side stops promptly
    if (!last) return;
    Error finalErr;
    PartsResult finalResult;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (err.code.empty() && source) err = source->checkUnchanged();
      std::sort(result.parts.begin(), result.parts.end(),
                [](const PartEtag& a, const PartEtag& b) { return a.partNumber < b.partNumber; });
      finalErr = err;
      finalResult = result;
    }
    job->maybeEmitProgress(true);
    done(finalErr, finalResult);
  }
};

}  // namespace

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

  auto run = std::make_shared<PartsRun>();
  run->job = job;
  run->source = spec.source;
  run->done = std::move(done);

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
  b.onItem = [parts, run](size_t i, HttpResponse& resp) {
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
    if (run->job->options().onPart) run->job->options().onPart(p.partNumber, etag);
    return Error();
  };
  runBatch(engine, job, std::move(b), [run](const Error& e, const BatchStats& stats) {
    {
      std::lock_guard<std::mutex> lock(run->mu);
      run->result.retries = stats.retries;
    }
    run->arrive(e);
  });
  bool wanted = spec.computeMd5;
  if (!wanted && !asStream(source)) return run->arrive(Error());
  digestAsync(
      engine, job, BodyRange{source, 0, source->size()},
      [run, wanted](const Error& e, const std::string& md5) {
        if (e.code.empty() && wanted) {
          std::lock_guard<std::mutex> lock(run->mu);
          run->result.md5 = md5;
        }
        run->arrive(e);
      },
      nullptr, wanted);
}

}  // namespace uplift
