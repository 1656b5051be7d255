// Kore: single POST, or session start -> chunks -> complete.
#include "kore.h"


#include "../batch.h"
#include "../parts_math.h"
#include "../side_digest.h"
#include "facts.h"
#include "readers.h"
#include "vendor_call.h"

namespace uplift::vendors {

namespace {

constexpr const char* kVendor = "Kore.ai";
// From the one facts table (facts.json): the TypeScript layer reads the same values.
constexpr uint64_t kDefaultChunk = facts::kKoreDefaultChunkBytes;

Headers auth(const KoreSpec& spec) { return {{"x-api-key", spec.apiKey}}; }

const std::string& base(const KoreSpec& spec) { return spec.baseUrl; }

// {url, fileId} answers (single POST and complete).
void readFileAnswer(const char* step, JsonPtr doc, OpDone done) {
  JsonPtr out;
  Error e = readKoreFileAnswer(step, *doc, &out);
  if (!e.code.empty()) return done(e, nullptr);
  done(Error(), out);
}

std::shared_ptr<Source> specSource(const KoreSpec& spec, Error* err) {
  if (!spec.source) {
    *err = makeError(codes::kInvalidArgument, "source missing");
    err->field = "source";
  }
  return spec.source;
}

// Adds bytes and md5 (the whole source's, taken beside the upload: see SideDigest) to out
// once the digest has ended too, or passes the error on.
void withDigest(const std::shared_ptr<SideDigest>& d, const std::shared_ptr<Source>& source, const Error& e,
                JsonPtr out, OpDone done) {
  d->transferEnded(e, [source, out, done](const Error& de, const std::string& md5) {
    if (!de.code.empty()) return done(de, nullptr);
    put(*out, *out, "bytes", source->size());
    put(*out, *out, "md5", md5);
    done(Error(), out);
  });
}

// One uploadFile run, step by step: [single POST -> (413) ->] [session start ->] chunks ->
// complete [-> the chunks complete reports missing, once -> complete].
struct KoreRun {
  OpContext ctx;
  KoreSpec spec;
  std::shared_ptr<Source> source;
  uint64_t chunkSize = kDefaultChunk;
  std::string sessionId;         // given (a resumed session) or from session start
  std::vector<size_t> todo;      // chunks to send in the first round
  bool fellBack = false;         // the single POST got 413 and the file went chunked
  bool resent = false;           // the chunks complete reported missing were sent again
  std::shared_ptr<SideDigest> digest;
  OpDone done;
};

void runSession(const std::shared_ptr<KoreRun>& run);

// Hands the first request(s) of the run to the engine with the whole source's digest
// started beside them; a later step (the chunks after a 413) finds the digest running.
void sendWithDigest(const std::shared_ptr<KoreRun>& run, const std::function<void()>& send) {
  if (run->digest) return send();
  run->digest = SideDigest::make(*run->ctx.engine, run->ctx.job, BodyRange{run->source, 0, run->source->size()}, true);
  run->digest->start(send);
}

// Ends the run: bytes and md5 added to out once the digest is ready (or the error passed on).
void endRun(const std::shared_ptr<KoreRun>& run, const Error& e, JsonPtr out) {
  if (!run->digest) return run->done(e, nullptr);
  withDigest(run->digest, run->source, e, out, run->done);
}

// The single POST's answer: a 413 (the vendor's limit is lower than ours) goes chunked, once.
void singleAnswered(const std::shared_ptr<KoreRun>& run, const Error& e, JsonPtr doc, const HttpResponse& resp) {
  if (!e.code.empty()) {
    if (resp.status == 413 && !run->fellBack && !run->source->isStream() && !run->ctx.job->cancelled()) {
      run->fellBack = true;
      return runSession(run);
    }
    return endRun(run, e, nullptr);
  }
  run->ctx.job->partDone();
  readFileAnswer("upload", doc, [run](const Error& re, JsonPtr out) {
    if (!re.code.empty()) return endRun(run, re, nullptr);
    put(*out, *out, "mode", std::string("single"));
    put(*out, *out, "chunks", 1);
    endRun(run, Error(), out);
  });
}

// One multipart POST of the whole file.
void single(const std::shared_ptr<KoreRun>& run) {
  const OpContext& ctx = run->ctx;
  const KoreSpec& spec = run->spec;
  const std::shared_ptr<Source>& source = run->source;
  ctx.job->setTotals(source->size(), 1);
  VendorRequest r;
  r.vendor = kVendor;
  r.step = "upload";
  r.url = joinUrl(base(spec), "/api/public/files");
  r.headers = auth(spec);
  r.isForm = true;
  r.form.fields = {FormField{"fileContext", spec.fileContext}};
  r.form.fileField = "file";
  r.form.fileName = spec.fileName;
  r.form.fileContentType = spec.contentType;
  r.form.file = BodyRange{source, 0, source->size()};
  sendWithDigest(run, [&] {
    callJson(*ctx.engine, ctx.job, std::move(r), [run](const Error& e, JsonPtr doc, const HttpResponse& resp) {
      singleAnswered(run, e, doc, resp);
    });
  });
}

void startSession(const OpContext& ctx, const KoreSpec& spec, uint64_t fileSize, uint64_t totalChunks,
                  std::function<void(const Error&, JsonPtr)> done) {
  Json body(rapidjson::kObjectType);
  put(body, body, "fileContext", spec.fileContext);
  put(body, body, "totalChunks", totalChunks);
  put(body, body, "fileExtension", spec.fileExtension);
  put(body, body, "fileName", spec.fileName);
  put(body, body, "fileSize", fileSize);
  VendorRequest r;
  r.vendor = kVendor;
  r.step = "session start";
  r.url = joinUrl(base(spec), "/api/public/files/session/start");
  r.headers = auth(spec);
  r.jsonBody = toJsonString(body);
  callJson(*ctx.engine, ctx.job, std::move(r), [done](const Error& e, JsonPtr doc, const HttpResponse&) {
    if (!e.code.empty()) return done(e, nullptr);
    JsonPtr out;
    Error re = readKoreSession(*doc, &out);
    if (!re.code.empty()) return done(re, nullptr);
    done(Error(), out);
  });
}

// Chunk numbers spec.chunkNumbers names (a resumed session: the chunks not yet stored),
// else every chunk of the file.
std::vector<size_t> chunkList(const KoreSpec& spec, size_t count) {
  std::vector<size_t> todo;
  if (spec.onlyChunks) {
    for (uint64_t v : spec.chunkNumbers) {
      if (v < count) todo.push_back(static_cast<size_t>(v));
    }
  } else {
    for (size_t i = 0; i < count; ++i) todo.push_back(i);
  }
  return todo;
}

// Sends the chunks numbered in todo (0-based) to the session, several in flight.
void sendChunks(const OpContext& ctx, const KoreSpec& spec, const std::string& sessionId,
                const std::shared_ptr<Source>& source, uint64_t chunkSize, std::vector<size_t> chunks,
                std::function<void(const Error&)> done) {
  std::string why;
  auto ranges = std::make_shared<std::vector<PartRange>>(splitParts(source->size(), chunkSize, &why));
  if (ranges->empty()) return done(makeError(codes::kInvalidArgument, why));
  auto todo = std::make_shared<std::vector<size_t>>();
  for (size_t i : chunks) {
    if (i < ranges->size()) todo->push_back(i);
  }
  uint64_t todoBytes = 0;
  for (size_t i : *todo) todoBytes += (*ranges)[i].length;
  ctx.job->setTotals(todoBytes, static_cast<uint32_t>(todo->size()));
  std::string url = joinUrl(base(spec), "/api/public/files/session/" + urlEncode(sessionId));
  Headers headers = auth(spec);
  headers.emplace_back("Accept", "application/json");
  std::string fileName = spec.fileName;
  std::string contentType = spec.contentType;
  BatchSpec b;
  b.count = todo->size();
  b.concurrency = clampConcurrency(spec.concurrency);
  b.makeRequest = [=](size_t k) {
    size_t i = (*todo)[k];
    HttpRequest req;
    req.method = "POST";
    req.url = url;
    req.headers = headers;
    req.isForm = true;
    req.partNumber = static_cast<int>(i);
    req.form.fields = {FormField{"chunkNumber", std::to_string(i)}};
    req.form.fileField = "file";
    req.form.fileName = fileName;
    req.form.fileContentType = contentType;
    req.form.file = BodyRange{source, (*ranges)[i].offset, (*ranges)[i].length};
    return req;
  };
  b.mapError = [todo](size_t k, const Error& e, HttpResponse& resp) {
    return mapVendorError(kVendor, "chunk " + std::to_string((*todo)[k]), e, resp);
  };
  std::shared_ptr<Job> job = ctx.job;
  b.onItem = [todo, job](size_t k, HttpResponse& resp) {
    size_t i = (*todo)[k];
    Error e = readKoreChunk(resp.body, i);
    if (e.code.empty() && job->options().onPart) job->options().onPart(static_cast<int>(i), "");
    return e;
  };
  b.stream = source;
  b.itemOffset = [todo, ranges](size_t k) { return (*ranges)[(*todo)[k]].offset; };
  b.itemMaxBytes = chunkSize;
  runBatch(*ctx.engine, ctx.job, std::move(b), [done](const Error& e, const BatchStats&) { done(e); });
}

// The chunk numbers a MISSING_CHUNKS answer lists (errors[0].missingChunks or a top-level
// missingChunks; numbers or numeric strings).
std::vector<size_t> missingChunks(const std::string& body) {
  std::vector<size_t> out;
  Json doc;
  std::string why;
  if (!parseJson(body, &doc, &why) || !doc.IsObject()) return out;
  const rapidjson::Value* list = member(doc, "missingChunks");
  if (const rapidjson::Value* es = member(doc, "errors"); !list && es && es->IsArray() && es->Size() > 0 &&
                                                         (*es)[0].IsObject()) {
    list = member((*es)[0], "missingChunks");
  }
  if (!list || !list->IsArray()) return out;
  for (const auto& v : list->GetArray()) {
    if (v.IsUint64()) out.push_back(static_cast<size_t>(v.GetUint64()));
    if (v.IsString()) {
      std::string t = v.GetString();
      if (!t.empty() && t.size() < 10 && t.find_first_not_of("0123456789") == std::string::npos) {
        out.push_back(static_cast<size_t>(std::stoul(t)));
      }
    }
  }
  return out;
}

// POST .../complete with Content-Type: application/json (the doc's table; no parameters).
// done gets {fileId, url}, or the error and, for MISSING_CHUNKS, the chunk numbers listed.
void completeSession(const OpContext& ctx, const KoreSpec& spec, const std::string& sessionId,
                     std::function<void(const Error&, JsonPtr, std::vector<size_t>)> done) {
  VendorRequest r;
  r.vendor = kVendor;
  r.step = "complete";
  r.url = joinUrl(base(spec), "/api/public/files/session/" + urlEncode(sessionId) + "/complete");
  r.headers = auth(spec);
  r.jsonBody = "{}";
  r.slowAnswer = true;  // the vendor merges the chunks before it answers
  callJson(*ctx.engine, ctx.job, std::move(r), [done](const Error& e, JsonPtr doc, const HttpResponse& resp) {
    if (!e.code.empty()) {
      return done(e, nullptr, e.vendorCode == "MISSING_CHUNKS" ? missingChunks(resp.body) : std::vector<size_t>{});
    }
    JsonPtr out;
    Error re = readKoreFileAnswer("complete", *doc, &out);
    done(re, re.code.empty() ? out : nullptr, {});
  });
}

void runChunks(const std::shared_ptr<KoreRun>& run, std::vector<size_t> chunks);

void runComplete(const std::shared_ptr<KoreRun>& run) {
  completeSession(run->ctx, run->spec, run->sessionId, [run](const Error& e, JsonPtr out, std::vector<size_t> missing) {
    if (!e.code.empty()) {
      if (!missing.empty() && !run->resent && !run->source->isStream() && !run->ctx.job->cancelled()) {
        run->resent = true;
        return runChunks(run, std::move(missing));
      }
      Error err = e;
      if (!missing.empty()) {
        err.message += run->resent ? " (the missing chunks were sent again once; still missing)"
                                   : " (a stream cannot be read again to re-send them)";
      }
      return endRun(run, err, nullptr);
    }
    put(*out, *out, "mode", std::string("chunked"));
    put(*out, *out, "chunks", partCount(run->source->size(), run->chunkSize));
    endRun(run, Error(), out);
  });
}

void runChunks(const std::shared_ptr<KoreRun>& run, std::vector<size_t> chunks) {
  sendWithDigest(run, [&] {
    sendChunks(run->ctx, run->spec, run->sessionId, run->source, run->chunkSize, std::move(chunks), [run](const Error& e) {
      if (!e.code.empty()) return endRun(run, e, nullptr);
      runComplete(run);
    });
  });
}

void runSession(const std::shared_ptr<KoreRun>& run) {
  uint64_t size = run->source->size();
  startSession(run->ctx, run->spec, size, partCount(size, run->chunkSize), [run](const Error& e, JsonPtr session) {
    if (!e.code.empty()) return endRun(run, e, nullptr);
    run->sessionId = stringOr(*session, "sessionId");
    runChunks(run, run->todo);
  });
}

}  // namespace

Error readKoreFileAnswer(const char* step, const Json& doc, JsonPtr* result) {
  std::string fileId, url;
  if (!getString(doc, "fileId", &fileId) || !getString(doc, "url", &url)) {
    return badResponse(kVendor, step, "fileId and url");
  }
  auto out = std::make_shared<Json>(rapidjson::kObjectType);
  put(*out, *out, "fileId", fileId);
  put(*out, *out, "url", url);
  *result = out;
  return Error();
}

Error readKoreSession(const Json& doc, JsonPtr* result) {
  std::string id;
  if (!getString(doc, "sessionId", &id)) {
    return badResponse(kVendor, "session start", "sessionId");
  }
  auto out = std::make_shared<Json>(rapidjson::kObjectType);
  put(*out, *out, "sessionId", id);
  put(*out, *out, "expirationDate", stringOr(doc, "expirationDate"));
  *result = out;
  return Error();
}

Error readKoreChunk(const std::string& body, size_t chunk) {
  Json doc;
  std::string why;
  if (!parseJson(body, &doc, &why) || !doc.IsObject()) {
    Error e = badResponse(kVendor, "chunk upload", "a JSON answer");
    e.partNumber = static_cast<int>(chunk);
    return e;
  }
  return Error();
}

void korePresign(const OpContext& ctx, const KoreSpec& spec, OpDone done) {
  startSession(ctx, spec, spec.fileSize, spec.totalChunks, done);
}

void koreUpload(const OpContext& ctx, const KoreSpec& spec, OpDone done) {
  Error err;
  std::shared_ptr<Source> source = specSource(spec, &err);
  if (!source) return done(err, nullptr);
  uint64_t chunk = spec.chunkSizeBytes;
  size_t count = static_cast<size_t>(partCount(source->size(), chunk));
  auto digest = SideDigest::make(*ctx.engine, ctx.job, BodyRange{source, 0, source->size()}, true);
  digest->start([&] {
    sendChunks(ctx, spec, spec.sessionId, source, chunk, chunkList(spec, count),
               [source, count, digest, done](const Error& e) {
                 auto res = std::make_shared<Json>(rapidjson::kObjectType);
                 put(*res, *res, "chunks", static_cast<uint64_t>(count));
                 withDigest(digest, source, e, res, done);
               });
  });
}

void koreComplete(const OpContext& ctx, const KoreSpec& spec, OpDone done) {
  completeSession(ctx, spec, spec.sessionId,
                  [done](const Error& e, JsonPtr out, std::vector<size_t>) { done(e, out); });
}

void koreUploadFile(const OpContext& ctx, const KoreSpec& spec, OpDone done) {
  Error err;
  auto run = std::make_shared<KoreRun>();
  run->source = specSource(spec, &err);
  if (!run->source) return done(err, nullptr);
  run->ctx = ctx;
  run->spec = spec;
  run->done = std::move(done);
  run->chunkSize = spec.chunkSizeBytes;
  run->sessionId = spec.sessionId;
  run->todo = chunkList(spec, static_cast<size_t>(partCount(run->source->size(), run->chunkSize)));
  // spec.sessionId: a stored session (resume) -> its missing chunks, then complete.
  if (!run->sessionId.empty()) return runChunks(run, run->todo);
  if (run->source->size() < spec.singleLimitBytes) return single(run);
  runSession(run);
}

}  // namespace uplift::vendors
