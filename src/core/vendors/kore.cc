// Kore: single POST, or session start -> chunks -> complete.
#include "kore.h"

#include <atomic>
#include <mutex>

#include "../batch.h"
#include "../digest.h"
#include "../parts_math.h"
#include "../stream_source.h"
#include "readers.h"
#include "vendor_call.h"

namespace uplift::vendors {

namespace {

constexpr const char* kVendor = "Kore.ai";
constexpr uint64_t kDefaultChunk = 8ull << 20;

Headers auth(const rapidjson::Value& spec) { return {{"x-api-key", stringOr(spec, "apiKey")}}; }

std::string base(const rapidjson::Value& spec) { return stringOr(spec, "baseUrl"); }

// {url, fileId} answers (single POST and complete).
void readFileAnswer(const char* step, JsonPtr doc, OpDone done) {
  JsonPtr out;
  Error e = readKoreFileAnswer(step, *doc, &out);
  if (!e.code.empty()) return done(e, nullptr);
  done(Error(), out);
}

std::shared_ptr<Source> specSource(const OpContext& ctx, Error* err) {
  const rapidjson::Value* ref = member(*ctx.spec, "source");
  if (!ref) {
    *err = makeError(codes::kInvalidArgument, "source missing");
    return nullptr;
  }
  return sourceAt(ctx, *ref, err);
}

// Adds md5 (digest on the worker thread) and bytes to a result.
// The whole source's MD5, computed beside the upload from its start (a stream is hashed
// as its bytes arrive, before they are released).
struct SideDigest {
  std::mutex mu;  // guards the four below
  bool ready = false;
  Error err;
  std::string md5;
  std::function<void()> waiting;
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
};

std::shared_ptr<SideDigest> startDigest(const OpContext& ctx, const std::shared_ptr<Source>& source) {
  auto d = std::make_shared<SideDigest>();
  digestAsync(
      *ctx.engine, ctx.job, BodyRange{source, 0, source->size()},
      [d](const Error& e, const std::string& md5) {
        std::function<void()> w;
        {
          std::lock_guard<std::mutex> lock(d->mu);
          d->ready = true;
          d->err = e;
          d->md5 = md5;
          w = std::move(d->waiting);
        }
        if (w) w();
      },
      d->stop);
  return d;
}

// Adds bytes and md5 to out once the digest is ready; stops the digest on failure.
void withDigest(const std::shared_ptr<SideDigest>& d, const std::shared_ptr<Source>& source, const Error& e,
                JsonPtr out, OpDone done) {
  if (!e.code.empty()) {
    d->stop->store(true);
    if (StreamSource* s = asStream(source)) s->wakeWaiters();  // a parked digest sees it
    return done(e, nullptr);
  }
  auto finish = [d, source, out, done] {
    if (!d->err.code.empty()) return done(d->err, nullptr);
    put(*out, *out, "bytes", source->size());
    put(*out, *out, "md5", d->md5);
    done(Error(), out);
  };
  {
    std::lock_guard<std::mutex> lock(d->mu);
    if (!d->ready) {
      d->waiting = finish;
      return;
    }
  }
  finish();
}

void single(const OpContext& ctx, const std::shared_ptr<Source>& source, OpDone done) {
  const Json& spec = *ctx.spec;
  ctx.job->setTotals(source->size(), 1);
  VendorRequest r;
  r.vendor = kVendor;
  r.step = "upload";
  r.url = joinUrl(base(spec), "/api/public/files");
  r.headers = auth(spec);
  r.isForm = true;
  r.form.fields = {FormField{"fileContext", stringOr(spec, "fileContext")}};
  r.form.fileField = "file";
  r.form.fileName = stringOr(spec, "fileName", "file");
  r.form.fileContentType = stringOr(spec, "contentType");
  r.form.file = BodyRange{source, 0, source->size()};
  OpContext c = ctx;
  auto digest = startDigest(ctx, source);
  callJson(*ctx.engine, ctx.job, std::move(r), [c, source, digest, done](const Error& e, JsonPtr doc, const HttpResponse&) {
    if (!e.code.empty()) return withDigest(digest, source, e, nullptr, done);
    c.job->partDone();
    readFileAnswer("upload", doc, [source, digest, done](const Error& re, JsonPtr out) {
      if (!re.code.empty()) return withDigest(digest, source, re, nullptr, done);
      put(*out, *out, "mode", std::string("single"));
      put(*out, *out, "chunks", 1);
      withDigest(digest, source, Error(), out, done);
    });
  });
}

void startSession(const OpContext& ctx, uint64_t fileSize, uint64_t totalChunks,
                  std::function<void(const Error&, JsonPtr)> done) {
  const Json& spec = *ctx.spec;
  Json body(rapidjson::kObjectType);
  put(body, body, "fileContext", stringOr(spec, "fileContext"));
  put(body, body, "totalChunks", totalChunks);
  put(body, body, "fileExtension", stringOr(spec, "fileExtension"));
  put(body, body, "fileName", stringOr(spec, "fileName"));
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

void sendChunks(const OpContext& ctx, const std::string& sessionId,
                const std::shared_ptr<Source>& source, uint64_t chunkSize, OpDone done) {
  const Json& spec = *ctx.spec;
  std::string why;
  auto ranges = std::make_shared<std::vector<PartRange>>(splitParts(source->size(), chunkSize, &why));
  if (ranges->empty()) return done(makeError(codes::kInvalidArgument, why), nullptr);
  // spec.chunkNumbers (optional): only these chunks are sent (a resumed upload).
  auto todo = std::make_shared<std::vector<size_t>>();
  if (const rapidjson::Value* only = member(spec, "chunkNumbers"); only && only->IsArray()) {
    for (const auto& v : only->GetArray()) {
      if (v.IsUint64() && v.GetUint64() < ranges->size()) todo->push_back(static_cast<size_t>(v.GetUint64()));
    }
  } else {
    for (size_t i = 0; i < ranges->size(); ++i) todo->push_back(i);
  }
  uint64_t todoBytes = 0;
  for (size_t i : *todo) todoBytes += (*ranges)[i].length;
  ctx.job->setTotals(todoBytes, static_cast<uint32_t>(todo->size()));
  std::string url = joinUrl(base(spec), "/api/public/files/session/" + urlEncode(sessionId));
  Headers headers = auth(spec);
  headers.emplace_back("Accept", "application/json");
  std::string fileName = stringOr(spec, "fileName", "file");
  std::string contentType = stringOr(spec, "contentType");
  BatchSpec b;
  b.count = todo->size();
  b.concurrency = concurrencyOf(spec, 4);
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
  size_t count = ranges->size();
  auto digest = startDigest(ctx, source);
  runBatch(*ctx.engine, ctx.job, std::move(b), [source, count, digest, done](const Error& e, const BatchStats&) {
    auto res = std::make_shared<Json>(rapidjson::kObjectType);
    put(*res, *res, "chunks", static_cast<uint64_t>(count));
    withDigest(digest, source, e, res, done);
  });
}

void completeSession(const OpContext& ctx, const std::string& sessionId, OpDone done) {
  const Json& spec = *ctx.spec;
  VendorRequest r;
  r.vendor = kVendor;
  r.step = "complete";
  r.url = joinUrl(base(spec), "/api/public/files/session/" + urlEncode(sessionId) + "/complete");
  r.headers = auth(spec);
  callJson(*ctx.engine, ctx.job, std::move(r), [done](const Error& e, JsonPtr doc, const HttpResponse&) {
    if (!e.code.empty()) return done(e, nullptr);
    readFileAnswer("complete", doc, done);
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

void korePresign(const OpContext& ctx, OpDone done) {
  const Json& spec = *ctx.spec;
  startSession(ctx, uint64Or(spec, "fileSize", 0), uint64Or(spec, "totalChunks", 1), done);
}

void koreUpload(const OpContext& ctx, OpDone done) {
  Error err;
  std::shared_ptr<Source> source = specSource(ctx, &err);
  if (!source) return done(err, nullptr);
  sendChunks(ctx, stringOr(*ctx.spec, "sessionId"), source,
             uint64Or(*ctx.spec, "chunkSizeBytes", kDefaultChunk), done);
}

void koreComplete(const OpContext& ctx, OpDone done) {
  completeSession(ctx, stringOr(*ctx.spec, "sessionId"), done);
}

void koreUploadFile(const OpContext& ctx, OpDone done) {
  const Json& spec = *ctx.spec;
  Error err;
  std::shared_ptr<Source> source = specSource(ctx, &err);
  if (!source) return done(err, nullptr);
  uint64_t limit = uint64Or(spec, "singleLimitBytes", 25ull << 20);
  if (source->size() < limit) return single(ctx, source, done);
  uint64_t chunk = uint64Or(spec, "chunkSizeBytes", kDefaultChunk);
  OpContext c = ctx;
  startSession(ctx, source->size(), partCount(source->size(), chunk),
               [c, source, chunk, done](const Error& e, JsonPtr session) {
                 if (!e.code.empty()) return done(e, nullptr);
                 std::string id = stringOr(*session, "sessionId");
                 sendChunks(c, id, source, chunk, [c, id, done](const Error& ce, JsonPtr sent) {
                   if (!ce.code.empty()) return done(ce, nullptr);
                   completeSession(c, id, [sent, done](const Error& fe, JsonPtr out) {
                     if (!fe.code.empty()) return done(fe, nullptr);
                     put(*out, *out, "mode", std::string("chunked"));
                     put(*out, *out, "chunks", uint64Or(*sent, "chunks", 0));
                     put(*out, *out, "bytes", uint64Or(*sent, "bytes", 0));
                     put(*out, *out, "md5", stringOr(*sent, "md5"));
                     done(Error(), out);
                   });
                 });
               });
}

}  // namespace uplift::vendors
