// Eka: presign -> one form POST per file (bounded concurrency) -> re-presign once on expiry.
#include "eka.h"

#include <mutex>

#include "../batch.h"
#include "../side_digest.h"
#include "../stream_source.h"
#include "facts.h"
#include "readers.h"
#include "vendor_call.h"

namespace uplift::vendors {

namespace {

constexpr const char* kVendor = "Eka";

struct EkaFile {
  std::shared_ptr<Source> source;
  std::string name, contentType;
  bool stored = false;
  std::string md5;
  // Its MD5 is taken beside its POST (see sendFile): a stream's bytes are read once, a
  // file's come back from the page cache the POST has just warmed.
  std::shared_ptr<SideDigest> digest;
};

struct EkaRun {
  OpContext ctx;
  EkaApi api;
  EkaTicket ticket;
  std::vector<EkaFile> files;
  int concurrency = static_cast<int>(facts::kEkaDefaultConcurrency);
  OpDone done;  // the current attempt's
  std::mutex mu;  // guards files[].stored / md5 / digest and the round state below
  // A round (one batch of POSTs) ends when its batch and the digests it started ended.
  std::vector<size_t> roundDigests;  // the files whose digest this round started
  size_t digestsOpen = 0;            // of those, the ones whose join has not ended yet
  Error batchErr, digestErr;
};

void presign(const OpContext& ctx, const EkaApi& api, const std::string& txnId,
             std::function<void(const Error&, EkaTicket&)> done) {
  VendorRequest r;
  r.vendor = kVendor;
  r.step = "presign";
  r.url = joinUrl(api.baseUrl, "/v1/file-upload") + "?txn_id=" + urlEncode(txnId) + "&action=ekascribe-v2";
  r.headers = {{"Authorization", "Bearer " + api.token}};
  r.jsonBody = api.extraDataJson.empty() ? "{}" : "{\"extraData\":" + api.extraDataJson + "}";
  callJson(*ctx.engine, ctx.job, std::move(r), [done, txnId](const Error& e, JsonPtr doc, const HttpResponse&) {
    EkaTicket t;
    if (!e.code.empty()) return done(e, t);
    Error re = readEkaPresign(*doc, &t);
    // An answer without txn_id keeps the caller's (the transaction is the one asked for).
    if (t.txnId.empty()) t.txnId = txnId;
    done(re, t);
  });
}

JsonPtr ticketJson(const EkaTicket& t) {
  auto out = std::make_shared<Json>(rapidjson::kObjectType);
  put(*out, *out, "url", t.url);
  rapidjson::Value fields(rapidjson::kObjectType);
  for (const auto& f : t.fields) put(*out, fields, f.name.c_str(), f.value);
  out->AddMember("fields", fields, out->GetAllocator());
  put(*out, *out, "folderPath", t.folderPath);
  put(*out, *out, "txnId", t.txnId);
  return out;
}

// Ends the current attempt (once; see endAttempt).
void endRun(const std::shared_ptr<EkaRun>& run, const Error& e, JsonPtr out) {
  endAttempt(run->done, e, std::move(out));
}

void finish(const std::shared_ptr<EkaRun>& run) {
  auto out = std::make_shared<Json>(rapidjson::kObjectType);
  put(*out, *out, "txnId", run->ticket.txnId);
  put(*out, *out, "folderPath", run->ticket.folderPath);
  rapidjson::Value files(rapidjson::kArrayType);
  for (const auto& f : run->files) {
    rapidjson::Value item(rapidjson::kObjectType);
    put(*out, item, "key", run->ticket.folderPath + f.name);
    put(*out, item, "size", f.source->size());
    put(*out, item, "md5", f.md5);
    files.PushBack(item, out->GetAllocator());
  }
  out->AddMember("files", files, out->GetAllocator());
  run->ctx.job->maybeEmitProgress(true);
  endRun(run, Error(), out);
}

// Ends the round once its batch and its digests have all ended: a digest's own error (e.g. a
// stream longer or shorter than its size) wins over the batch's, which it caused.
void roundEnded(const std::shared_ptr<EkaRun>& run) {
  Error e;
  {
    std::lock_guard<std::mutex> lock(run->mu);
    e = run->digestErr.code.empty() ? run->batchErr : run->digestErr;
  }
  if (e.code.empty()) return finish(run);
  endRun(run, e, nullptr);
}

// Sends file i's POST with the file's digest beside it (SideDigest holds a stream's bytes
// across both), registered with the round before the POST can end. A file sent again in a
// later round (after a re-presign) gets a new digest.
void sendFile(const std::shared_ptr<EkaRun>& run, size_t i, const std::function<void()>& send) {
  EkaFile& f = run->files[i];
  std::shared_ptr<SideDigest> d =
      SideDigest::make(*run->ctx.engine, run->ctx.job, BodyRange{f.source, 0, f.source->size()}, true);
  {
    std::lock_guard<std::mutex> lock(run->mu);
    f.digest = d;
    run->roundDigests.push_back(i);
  }
  d->start(send);
}

// The batch of the round ended with e: each digest it started is joined with its file's
// POST (stopped when that POST was not stored), then the round ends.
void batchEnded(const std::shared_ptr<EkaRun>& run, const Error& e) {
  std::vector<std::pair<size_t, std::shared_ptr<SideDigest>>> joins;
  {
    std::lock_guard<std::mutex> lock(run->mu);
    run->batchErr = e;
    for (size_t i : run->roundDigests) joins.emplace_back(i, run->files[i].digest);
    run->roundDigests.clear();
    run->digestsOpen = joins.size();
  }
  if (joins.empty()) return roundEnded(run);
  for (auto& join : joins) {
    size_t i = join.first;
    std::shared_ptr<SideDigest> d = join.second;
    Error postErr;
    {
      std::lock_guard<std::mutex> lock(run->mu);
      if (!run->files[i].stored) postErr = e.code.empty() ? makeError(codes::kInternal, "a file was not stored") : e;
    }
    d->transferEnded(postErr, [run, i, d](const Error& de, const std::string& md5) {
      bool last;
      {
        std::lock_guard<std::mutex> lock(run->mu);
        if (de.code.empty()) run->files[i].md5 = md5;
        if (d->sourceFailed() && run->digestErr.code.empty()) run->digestErr = de;
        last = --run->digestsOpen == 0;
      }
      if (last) roundEnded(run);
    });
  }
}

void sendPending(const std::shared_ptr<EkaRun>& run) {
  {
    std::lock_guard<std::mutex> lock(run->mu);
    run->batchErr = Error();
    run->digestErr = Error();
  }
  std::vector<size_t> pending;
  uint64_t total = 0;
  for (size_t i = 0; i < run->files.size(); ++i) {
    total += run->files[i].source->size();
    if (!run->files[i].stored) pending.push_back(i);
  }
  run->ctx.job->setTotals(total, static_cast<uint32_t>(run->files.size()));
  BatchSpec b;
  b.count = pending.size();
  b.concurrency = run->concurrency;
  b.makeRequest = [run, pending](size_t k) {
    const EkaFile& f = run->files[pending[k]];
    HttpRequest req;
    req.method = "POST";
    req.url = run->ticket.url;
    req.isForm = true;
    req.expectStatus = {200, 201, 204};
    req.partNumber = static_cast<int>(pending[k]) + 1;
    for (const auto& field : run->ticket.fields) {
      req.form.fields.push_back(field.name == "key" ? FormField{"key", run->ticket.folderPath + f.name}
                                                    : field);
    }
    req.form.fileField = "file";
    req.form.fileName = f.name;
    req.form.fileContentType = f.contentType;
    req.form.file = BodyRange{f.source, 0, f.source->size()};
    return req;
  };
  b.sendAround = [run, pending](size_t k, const std::function<void()>& send) { sendFile(run, pending[k], send); };
  b.onItem = [run, pending](size_t k, HttpResponse&) {
    std::lock_guard<std::mutex> lock(run->mu);
    run->files[pending[k]].stored = true;
    return Error();
  };
  // An expired policy fails every file in flight: let them end, then re-presign and resend.
  b.cancelJobOnFailure = false;
  runBatch(*run->ctx.engine, run->ctx.job, std::move(b),
           [run](const Error& e, const BatchStats&) { batchEnded(run, e); });
}

// Sends the files not yet stored; an expired policy is presigned again once for the same
// txn_id and the files not stored are sent again. `first` is how the first round starts.
void sendWithRepresign(const std::shared_ptr<EkaRun>& run, OpDone done,
                       std::function<void(const std::shared_ptr<EkaRun>&)> first) {
  presignAgainOnce(
      run->ctx.job,
      [run, first](bool again, OpDone d) {
        run->done = std::move(d);
        if (!again) return first(run);
        for (const auto& f : run->files) {
          if (f.stored || !asStream(f.source)) continue;
          // Its bytes were sent and released: a stream cannot be posted a second time.
          Error e = makeError(codes::kUrlExpired,
                              "the upload policy expired while the stream \"" + f.name +
                                  "\" was posted, and a stream cannot be sent twice: presign again and "
                                  "upload it from the start (or give a file path or a Buffer)");
          return endRun(run, e, nullptr);
        }
        presign(run->ctx, run->api, run->ticket.txnId, [run](const Error& pe, EkaTicket& t) {
          if (!pe.code.empty()) return endRun(run, pe, nullptr);
          run->ticket = t;
          sendPending(run);
        });
      },
      "re-presigned once for the same txn_id; the new policy failed too", std::move(done));
}

std::shared_ptr<EkaRun> newRun(const OpContext& ctx, const EkaApi& api, const std::vector<EkaFileSpec>& files,
                               int concurrency, Error* err) {
  if (files.empty()) {
    *err = makeError(codes::kInvalidArgument, "files must name at least one source");
    err->field = "files";
    return nullptr;
  }
  auto run = std::make_shared<EkaRun>();
  run->ctx = ctx;
  run->api = api;
  run->concurrency = clampConcurrency(concurrency);
  for (const auto& f : files) {
    if (!f.source) {
      *err = makeError(codes::kInvalidArgument, "a file without a source");
      err->field = "files";
      return nullptr;
    }
    EkaFile ef;
    ef.source = f.source;
    ef.name = f.name;
    ef.contentType = f.contentType;
    run->files.push_back(std::move(ef));
  }
  return run;
}

}  // namespace

Error readEkaPresign(const Json& doc, EkaTicket* out) {
  EkaTicket& t = *out;
  const rapidjson::Value* up = member(doc, "uploadData");
  const rapidjson::Value* fields = up ? member(*up, "fields") : nullptr;
  if (!up || !getString(*up, "url", &t.url) || !fields || !fields->IsObject() ||
      !getString(doc, "folderPath", &t.folderPath)) {
    return badResponse(kVendor, "presign", "uploadData.url, uploadData.fields and folderPath");
  }
  t.txnId = stringOr(doc, "txn_id");
  for (const auto& m : fields->GetObject()) {
    if (!m.value.IsString()) continue;
    t.fields.push_back(FormField{m.name.GetString(), m.value.GetString()});
  }
  return Error();
}

void ekaPresign(const OpContext& ctx, const EkaPresignSpec& spec, OpDone done) {
  presign(ctx, spec.api, spec.txnId, [done](const Error& e, EkaTicket& t) {
    if (!e.code.empty()) return done(e, nullptr);
    done(Error(), ticketJson(t));
  });
}

void ekaUpload(const OpContext& ctx, const EkaUploadSpec& spec, OpDone done) {
  Error err;
  auto run = newRun(ctx, spec.api, spec.files, spec.concurrency, &err);
  if (!run) return done(err, nullptr);
  if (spec.ticket.url.empty()) {
    Error e = makeError(codes::kInvalidArgument, "ticket must be the result of presign");
    e.field = "ticket";
    return done(e, nullptr);
  }
  run->ticket = spec.ticket;
  sendWithRepresign(run, done, [](const std::shared_ptr<EkaRun>& r) { sendPending(r); });
}

void ekaUploadFiles(const OpContext& ctx, const EkaUploadFilesSpec& spec, OpDone done) {
  Error err;
  auto run = newRun(ctx, spec.api, spec.files, spec.concurrency, &err);
  if (!run) return done(err, nullptr);
  std::string txnId = spec.txnId;
  sendWithRepresign(run, done, [txnId](const std::shared_ptr<EkaRun>& r) {
    presign(r->ctx, r->api, txnId, [r](const Error& e, EkaTicket& t) {
      if (!e.code.empty()) return endRun(r, e, nullptr);
      r->ticket = t;
      sendPending(r);
    });
  });
}

}  // namespace uplift::vendors
