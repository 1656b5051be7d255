// Plaud: presign -> parts -> complete.
#include "plaud.h"

#include <algorithm>
#include <cctype>

#include "../parts_math.h"
#include "../primitives.h"
#include "facts.h"
#include "readers.h"
#include "vendor_call.h"

namespace uplift::vendors {

namespace {

constexpr const char* kVendor = "Plaud";

Headers auth(const PlaudApi& api) {
  return {{"Authorization", "Bearer " + api.token}};
}

// Adds key: [{<numberKey>: partNumber, <valueKey>: part.*value}, ...] to doc, in the order
// given. Each caller names its wire format: the complete request's part_list
// ({PartNumber, ETag}), the result's parts ({partNumber, etag}), presign's parts
// ({partNumber, url}).
template <class Part>
void putPartList(Json& doc, const char* key, const std::vector<Part>& parts, const char* numberKey,
                 const char* valueKey, std::string Part::*value) {
  rapidjson::Value list(rapidjson::kArrayType);
  for (const Part& p : parts) {
    rapidjson::Value item(rapidjson::kObjectType);
    put(doc, item, numberKey, p.partNumber);
    put(doc, item, valueKey, p.*value);
    list.PushBack(item, doc.GetAllocator());
  }
  doc.AddMember(rapidjson::Value(key, doc.GetAllocator()).Move(), list, doc.GetAllocator());
}

void presign(const OpContext& ctx, const PlaudApi& api, uint64_t fileSize, const std::string& fileType,
             std::function<void(const Error&, PlaudTicket&)> done) {
  Json body(rapidjson::kObjectType);
  put(body, body, "filesize", fileSize);
  put(body, body, "filetype", fileType);
  VendorRequest r;
  r.vendor = kVendor;
  r.step = "presign";
  r.url = joinUrl(api.baseUrl, "/open/partner/files/upload/generate-presigned-urls");
  r.headers = auth(api);
  r.jsonBody = toJsonString(body);
  callJson(*ctx.engine, ctx.job, std::move(r),
           [done, fileSize](const Error& e, JsonPtr doc, const HttpResponse&) {
             PlaudTicket t;
             if (!e.code.empty()) return done(e, t);
             Error re = readPlaudPresign(*doc, fileSize, &t);
             done(re, t);
           });
}

void complete(const OpContext& ctx, const PlaudApi& api, const std::string& fileId, const std::string& uploadId,
              const std::vector<PartEtag>& parts, const std::string& fileType,
              const std::string& md5, std::function<void(const Error&, JsonPtr)> done) {
  Json body(rapidjson::kObjectType);
  put(body, body, "file_id", fileId);
  put(body, body, "upload_id", uploadId);
  putPartList(body, "part_list", parts, "PartNumber", "ETag", &PartEtag::etag);
  put(body, body, "filetype", fileType);
  put(body, body, "file_md5", md5);
  VendorRequest r;
  r.vendor = kVendor;
  r.step = "complete-upload";
  r.url = joinUrl(api.baseUrl, "/open/partner/files/upload/complete-upload");
  r.headers = auth(api);
  r.jsonBody = toJsonString(body);
  r.slowAnswer = true;  // the vendor completes the S3 upload before it answers
  callJson(*ctx.engine, ctx.job, std::move(r),
           [done, md5](const Error& e, JsonPtr doc, const HttpResponse&) {
             if (!e.code.empty()) return done(e, nullptr);
             JsonPtr out;
             Error re = readPlaudComplete(*doc, md5, &out);
             if (!re.code.empty()) return done(re, nullptr);
             done(Error(), out);
           });
}

}  // namespace

Layout layoutTicket(const std::vector<PartUrl>& parts, uint64_t fileSize, PlaudTicket* t,
                    uint64_t* expected) {
  *expected = partCount(fileSize, t->chunkSize);
  if (parts.size() != *expected) return Layout::kWrongCount;
  std::vector<bool> seen(static_cast<size_t>(*expected) + 1, false);
  t->parts.clear();
  for (const auto& p : parts) {
    int n = p.partNumber;
    if (n < 1 || static_cast<uint64_t>(n) > *expected || seen[static_cast<size_t>(n)] || p.url.empty()) {
      return Layout::kBadPart;
    }
    seen[static_cast<size_t>(n)] = true;
    PartSpec ps;
    ps.partNumber = n;
    ps.url = p.url;
    ps.offset = static_cast<uint64_t>(n - 1) * t->chunkSize;
    ps.length = std::min(t->chunkSize, fileSize - std::min(fileSize, ps.offset));
    t->parts.push_back(std::move(ps));
  }
  return Layout::kOk;
}

Error readPlaudPresign(const Json& d, uint64_t fileSize, PlaudTicket* out) {
  PlaudTicket& t = *out;
  const rapidjson::Value* parts = member(d, "Parts");
  if (!getString(d, "FileId", &t.fileId) || !getString(d, "UploadId", &t.uploadId) ||
      !getUint64(d, "ChunkSize", &t.chunkSize) || t.chunkSize == 0 || !parts ||
      !parts->IsArray()) {
    return badResponse(kVendor, "presign", "FileId, UploadId, ChunkSize and Parts");
  }
  std::vector<PartUrl> urls;
  for (const auto& p : parts->GetArray()) {
    PartUrl u;
    if (!getInt(p, "PartNumber", &u.partNumber) || !getString(p, "PresignedUrl", &u.url) || u.url.empty()) {
      u.partNumber = 0;  // laid out as a bad part
    }
    urls.push_back(std::move(u));
  }
  uint64_t expected = 0;
  switch (layoutTicket(urls, fileSize, &t, &expected)) {
    case Layout::kOk:
      return Error();
    case Layout::kWrongCount:
      return badResponse(kVendor, "presign",
                         std::to_string(expected) + " part URLs (it sent " +
                             std::to_string(parts->Size()) + ")");
    case Layout::kBadPart:
      break;
  }
  return badResponse(kVendor, "presign", "a PartNumber and PresignedUrl for every part");
}

Error readPlaudComplete(const Json& d, const std::string& md5, JsonPtr* result) {
  auto out = std::make_shared<Json>(rapidjson::kObjectType);
  std::string fileId, downloadUrl, fileMd5;
  if (!getString(d, "FileId", &fileId) || !getString(d, "DownloadUrl", &downloadUrl)) {
    return badResponse(kVendor, "complete-upload", "FileId and DownloadUrl");
  }
  getString(d, "FileMd5", &fileMd5);
  // Hex digits compare without regard to case (a server may answer upper-case hex).
  for (char& ch : fileMd5) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (!fileMd5.empty() && !md5.empty() && fileMd5 != md5) {
    return makeError(codes::kIntegrity, "Plaud stored a file whose MD5 " + fileMd5 +
                                            " differs from the uploaded bytes' " + md5);
  }
  put(*out, *out, "fileId", fileId);
  put(*out, *out, "fileType", stringOr(d, "FileType"));
  put(*out, *out, "downloadUrl", downloadUrl);
  put(*out, *out, "fileMd5", fileMd5.empty() ? md5 : fileMd5);
  *result = out;
  return Error();
}

void plaudPresign(const OpContext& ctx, const PlaudPresignSpec& spec, OpDone done) {
  presign(ctx, spec.api, spec.fileSize, spec.fileType,
          [done](const Error& e, PlaudTicket& t) {
            if (!e.code.empty()) return done(e, nullptr);
            auto out = std::make_shared<Json>(rapidjson::kObjectType);
            put(*out, *out, "fileId", t.fileId);
            put(*out, *out, "uploadId", t.uploadId);
            put(*out, *out, "chunkSizeBytes", t.chunkSize);
            putPartList(*out, "parts", t.parts, "partNumber", "url", &PartSpec::url);
            done(Error(), out);
          });
}

void plaudComplete(const OpContext& ctx, const PlaudCompleteSpec& spec, OpDone done) {
  complete(ctx, spec.api, spec.fileId, spec.uploadId, spec.parts, spec.fileType, spec.md5, done);
}

namespace {

// A ticket given by the caller (upload(), or a resumed upload), laid out over fileSize as a
// presign answer is.
Error layTicket(const PlaudTicketSpec& given, uint64_t fileSize, PlaudTicket* t) {
  t->fileId = given.fileId;
  t->uploadId = given.uploadId;
  t->chunkSize = given.chunkSizeBytes;
  if (given.fileId.empty() || given.uploadId.empty() || given.chunkSizeBytes == 0 || given.parts.empty()) {
    Error e = makeError(codes::kInvalidArgument, "the Plaud ticket lacks fileId, uploadId, chunkSizeBytes or parts "
                                                 "(pass the object presign() answered)");
    e.field = "ticket";
    return e;
  }
  uint64_t expected = 0;
  Layout l = layoutTicket(given.parts, fileSize, t, &expected);
  if (l == Layout::kOk) return Error();
  Error e = makeError(codes::kInvalidArgument, "");
  e.field = "parts";
  if (l == Layout::kWrongCount) {
    e.message = "parts has " + std::to_string(given.parts.size()) + " URL(s) but " + std::to_string(fileSize) +
                " bytes in parts of " + std::to_string(t->chunkSize) + " bytes need " + std::to_string(expected) +
                "; pass the ticket presign() answered for this file";
  } else {
    e.message = "parts must number each part 1.." + std::to_string(expected) +
                " once, each with its url; pass the ticket presign() answered for this file";
  }
  return e;
}

// One run: [presign ->] the parts not yet stored [-> complete with every part]. upload()
// stops after the parts (completeAfter false); uploadFile completes.
struct PlaudRun {
  OpContext ctx;
  PlaudApi api;
  std::shared_ptr<Source> source;
  std::string fileType;
  int concurrency = static_cast<int>(facts::kPlaudDefaultConcurrency);
  PlaudTicket ticket;
  std::vector<PartEtag> stored;  // parts stored before this run (resume)
  bool completeAfter = true;
  OpDone done;
};

// Every part (stored before and sent now) in part-number order.
std::vector<PartEtag> allParts(const PlaudRun& run, const PartsResult& sent) {
  std::vector<PartEtag> all = run.stored;
  all.insert(all.end(), sent.parts.begin(), sent.parts.end());
  std::sort(all.begin(), all.end(), [](const PartEtag& a, const PartEtag& b) { return a.partNumber < b.partNumber; });
  return all;
}

void finishRun(const std::shared_ptr<PlaudRun>& run, const PartsResult& sent) {
  std::vector<PartEtag> all = allParts(*run, sent);
  std::string md5 = sent.md5;
  uint64_t bytes = run->source->size();
  complete(run->ctx, run->api, run->ticket.fileId, run->ticket.uploadId, all, run->fileType, md5,
           [all, md5, bytes, done = run->done](const Error& ce, JsonPtr out) {
             if (!ce.code.empty()) return done(ce, nullptr);
             putPartList(*out, "parts", all, "partNumber", "etag", &PartEtag::etag);
             put(*out, *out, "md5", md5);
             put(*out, *out, "bytes", bytes);
             done(Error(), out);
           });
}

void sendParts(const std::shared_ptr<PlaudRun>& run) {
  PartsSpec ps;
  for (const auto& p : run->ticket.parts) {
    bool have = false;
    for (const auto& s : run->stored) have = have || s.partNumber == p.partNumber;
    if (!have) ps.parts.push_back(p);
  }
  ps.source = run->source;
  ps.concurrency = run->concurrency;
  uploadPresignedParts(*run->ctx.engine, run->ctx.job, std::move(ps), [run](const Error& pe, PartsResult& pr) {
    if (!pe.code.empty()) {
      Error out = pe;
      if (out.code == codes::kUrlExpired) {
        out.message += "; Plaud cannot re-issue part URLs for the same upload: "
                       "upload the file again (with a journal, only after a crash)";
      }
      return run->done(out, nullptr);
    }
    if (run->completeAfter) return finishRun(run, pr);
    auto out = std::make_shared<Json>(rapidjson::kObjectType);
    putPartList(*out, "parts", allParts(*run, pr), "partNumber", "etag", &PartEtag::etag);
    put(*out, *out, "md5", pr.md5);
    put(*out, *out, "bytes", pr.bytes);
    run->done(Error(), out);
  });
}

// A run over a source; nullptr (and done called) when the source is missing.
std::shared_ptr<PlaudRun> startRun(const OpContext& ctx, const std::shared_ptr<Source>& source, int concurrency,
                                   OpDone done) {
  if (!source) {
    Error e = makeError(codes::kInvalidArgument, "source missing: pass the file's bytes");
    e.field = "source";
    done(e, nullptr);
    return nullptr;
  }
  auto run = std::make_shared<PlaudRun>();
  run->ctx = ctx;
  run->source = source;
  run->concurrency = clampConcurrency(concurrency);
  run->done = std::move(done);
  return run;
}

}  // namespace

void plaudUpload(const OpContext& ctx, const PlaudUploadSpec& spec, OpDone done) {
  std::shared_ptr<PlaudRun> run = startRun(ctx, spec.source, spec.concurrency, std::move(done));
  if (!run) return;
  run->completeAfter = false;
  run->stored = spec.storedParts;
  Error te = layTicket(spec.ticket, run->source->size(), &run->ticket);
  if (!te.code.empty()) return run->done(te, nullptr);
  sendParts(run);
}

void plaudUploadFile(const OpContext& ctx, const PlaudUploadFileSpec& spec, OpDone done) {
  std::shared_ptr<PlaudRun> run = startRun(ctx, spec.source, spec.concurrency, std::move(done));
  if (!run) return;
  run->api = spec.api;
  run->fileType = spec.fileType;
  if (spec.resume) {  // a stored ticket and the parts S3 stored: no presign
    run->stored = spec.storedParts;
    Error te = layTicket(spec.ticket, run->source->size(), &run->ticket);
    if (!te.code.empty()) return run->done(te, nullptr);
    return sendParts(run);
  }
  presign(ctx, run->api, run->source->size(), run->fileType, [run](const Error& e, PlaudTicket& t) {
    if (!e.code.empty()) return run->done(e, nullptr);
    run->ticket = t;
    sendParts(run);
  });
}

}  // namespace uplift::vendors
