// putPresigned, postPresignedForm, uploadPresignedParts: the transfer(s) and the digest of a
// job run side by side; the job ends when both have.
#include "primitives.h"

#include <algorithm>
#include <mutex>

#include "digest.h"
#include "stream_source.h"

namespace uplift {

namespace {

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
      } else if (!stopDigest->load()) {
        job->cancel(e);  // the source failed: stop the transfer too
      }
    }
    if (!last) return;
    if (err.code.empty() && source) err = source->checkUnchanged();
    job->maybeEmitProgress(true);
    done(err, result);
  }
};

std::string xmlTag(const std::string& body, const std::string& tag) {
  size_t a = body.find("<" + tag + ">");
  if (a == std::string::npos) return "";
  a += tag.size() + 2;
  size_t b = body.find("</" + tag + ">", a);
  return b == std::string::npos ? "" : body.substr(a, b - a);
}

template <class Result>
void startDigest(Engine& engine, const std::shared_ptr<Job>& job, const BodyRange& range,
                 bool wanted, const std::shared_ptr<Join<Result>>& join) {
  if (!wanted || !range.source) {
    if (!range.source) join->result.md5 = "d41d8cd98f00b204e9800998ecf8427e";  // empty body
    join->arrive(Error(), job, false);
    return;
  }
  digestAsync(
      engine, job, range,
      [join, job](const Error& e, const std::string& md5) {
        if (e.code.empty()) {
          std::lock_guard<std::mutex> lock(join->mu);
          join->result.md5 = md5;
        }
        join->arrive(e, job, false);
      },
      join->stopDigest);
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

struct PartsRun : std::enable_shared_from_this<PartsRun> {
  Engine* engine;
  std::shared_ptr<Job> job;
  PartsSpec spec;
  std::function<void(const Error&, PartsResult&)> done;

  std::mutex mu;  // guards everything below
  size_t next = 0;
  size_t inFlight = 0;
  size_t finished = 0;
  bool digestPending = false;
  bool reported = false;
  Error err;
  PartsResult result;
  // A stream source: bytes from the lowest part not yet stored on are held, so a failed part
  // can be re-sent; the window keeps concurrency + 1 parts.
  StreamSource* stream = nullptr;
  int hold = 0;
  std::vector<bool> stored;
  size_t lowestPending = 0;

  void releaseStored(size_t i) {
    if (!stream) return;
    uint64_t at;
    {
      std::lock_guard<std::mutex> lock(mu);
      stored[i] = true;
      while (lowestPending < stored.size() && stored[lowestPending]) ++lowestPending;
      at = lowestPending < spec.parts.size() ? spec.parts[lowestPending].offset
                                             : spec.source->size();
    }
    stream->moveHold(hold, at);
  }

  void dropHold() {
    if (stream && hold) stream->removeHold(hold);
    hold = 0;
  }

  void launch() {
    std::vector<size_t> toStart;
    {
      std::lock_guard<std::mutex> lock(mu);
      while (err.code.empty() && inFlight < static_cast<size_t>(spec.concurrency) &&
             next < spec.parts.size()) {
        toStart.push_back(next++);
        ++inFlight;
      }
    }
    for (size_t i : toStart) sendPart(i);
  }

  void sendPart(size_t i) {
    const PartSpec& p = spec.parts[i];
    HttpRequest req;
    req.method = "PUT";
    req.url = p.url;
    req.headers = spec.headers;
    req.body = BodyRange{spec.source, p.offset, p.length};
    req.partNumber = p.partNumber;
    auto self = shared_from_this();
    engine->send(job, std::move(req),
                 [self, i](const Error& e, HttpResponse& resp) { self->partDone(i, e, resp); });
  }

  void partDone(size_t i, const Error& e, HttpResponse& resp) {
    Error failure = e;
    std::string etag = resp.header("etag");
    if (failure.code.empty() && etag.empty()) {
      failure = makeError(codes::kBadResponse, "part " + std::to_string(spec.parts[i].partNumber) +
                                                   " was accepted without an ETag header");
      failure.partNumber = spec.parts[i].partNumber;
    }
    if (failure.code.empty()) {
      // Counted and reported while the part is still in flight, so the final report of
      // maybeFinish (which waits for inFlight == 0) sees it and no report follows that one.
      job->partDone();
      releaseStored(i);
      if (job->options().onPart) job->options().onPart(spec.parts[i].partNumber, etag);
      job->maybeEmitProgress(false);
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      --inFlight;
      ++finished;
      if (resp.attempts > 1) result.retries += resp.attempts - 1;
      if (failure.code.empty()) {
        result.parts.push_back(PartEtag{spec.parts[i].partNumber, etag});
        result.bytes += spec.parts[i].length;
      } else if (err.code.empty()) {
        err = failure;
      }
    }
    if (!failure.code.empty()) job->cancel(failure);  // the other parts stop promptly
    launch();
    maybeFinish();
  }

  void digestDone(const Error& e, const std::string& md5) {
    {
      std::lock_guard<std::mutex> lock(mu);
      digestPending = false;
      if (!e.code.empty() && err.code.empty()) err = e;
      if (e.code.empty()) result.md5 = md5;
    }
    if (!e.code.empty()) job->cancel(e);
    maybeFinish();
  }

  void maybeFinish() {
    Error finalErr;
    PartsResult finalResult;
    {
      // Locked: launch() may still read err on another thread after the last part ended.
      std::lock_guard<std::mutex> lock(mu);
      if (reported || inFlight > 0 || digestPending) return;
      if (err.code.empty() && finished < spec.parts.size()) return;
      reported = true;
      if (err.code.empty() && spec.source) err = spec.source->checkUnchanged();
      std::sort(result.parts.begin(), result.parts.end(),
                [](const PartEtag& a, const PartEtag& b) { return a.partNumber < b.partNumber; });
      finalErr = err;
      finalResult = result;
    }
    job->maybeEmitProgress(true);
    dropHold();
    done(finalErr, finalResult);
  }
};

}  // namespace

void uploadPresignedParts(Engine& engine, const std::shared_ptr<Job>& job, PartsSpec spec,
                          std::function<void(const Error&, PartsResult&)> done) {
  auto run = std::make_shared<PartsRun>();
  run->engine = &engine;
  run->job = job;
  std::sort(spec.parts.begin(), spec.parts.end(),
            [](const PartSpec& a, const PartSpec& b) { return a.offset < b.offset; });
  uint64_t total = 0;
  for (const auto& p : spec.parts) total += p.length;
  run->spec = std::move(spec);
  run->done = std::move(done);
  if (run->spec.concurrency < 1) run->spec.concurrency = 1;
  job->setTotals(total, static_cast<uint32_t>(run->spec.parts.size()));
  run->digestPending = run->spec.computeMd5;
  if ((run->stream = asStream(run->spec.source)) != nullptr) {
    uint64_t largest = 0;
    for (const auto& p : run->spec.parts) largest = std::max(largest, p.length);
    run->stream->raiseBound(largest * static_cast<uint64_t>(run->spec.concurrency + 1));
    run->stored.assign(run->spec.parts.size(), false);
    run->hold = run->stream->addHold(run->spec.parts.empty() ? 0 : run->spec.parts.front().offset);
  }
  run->launch();
  if (run->spec.computeMd5) {
    uint64_t size = run->spec.source->size();
    digestAsync(engine, job, BodyRange{run->spec.source, 0, size},
                [run](const Error& e, const std::string& md5) { run->digestDone(e, md5); });
  }
  run->maybeFinish();  // zero parts
}

}  // namespace uplift
