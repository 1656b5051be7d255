// Scripe: presign -> PUT.
#include "scripe.h"

#include "../primitives.h"
#include "facts.h"
#include "readers.h"
#include "vendor_call.h"

namespace uplift::vendors {

namespace {

constexpr const char* kVendor = "Scripe";

void presign(const OpContext& ctx, const ScripePresignSpec& spec,
             std::function<void(const Error&, ScripeUpload&)> done) {
  Json body(rapidjson::kObjectType);
  put(body, body, "contentType", spec.contentType);
  if (spec.maxSizeBytes > 0) put(body, body, "maxSizeBytes", spec.maxSizeBytes);
  VendorRequest r;
  r.vendor = kVendor;
  r.step = "presign";
  r.url = joinUrl(spec.api.baseUrl, "/v1/uploads");
  r.headers = {{"Authorization", "Bearer " + spec.api.apiKey}, {"Scripe-Api-Version", spec.api.apiVersion}};
  r.jsonBody = toJsonString(body);
  callJson(*ctx.engine, ctx.job, std::move(r), [done](const Error& e, JsonPtr doc, const HttpResponse&) {
    ScripeUpload u;
    if (!e.code.empty()) return done(e, u);
    Error re = readScripePresign(*doc, &u);
    done(re, u);
  });
}

JsonPtr toJson(const ScripeUpload& u, const char* idName) {
  auto out = std::make_shared<Json>(rapidjson::kObjectType);
  put(*out, *out, idName, u.id);
  put(*out, *out, "uploadUrl", u.uploadUrl);
  put(*out, *out, "method", u.method);
  put(*out, *out, "contentType", u.contentType);
  put(*out, *out, "maxSizeBytes", u.maxSizeBytes);
  put(*out, *out, "expiresAt", u.expiresAt);
  return out;
}

}  // namespace

Error readScripePresign(const Json& doc, ScripeUpload* out) {
  ScripeUpload& u = *out;
  const rapidjson::Value* data = member(doc, "data");
  if (!data || !data->IsObject() || !getString(*data, "id", &u.id) ||
      !getString(*data, "uploadUrl", &u.uploadUrl) || !getString(*data, "contentType", &u.contentType)) {
    return badResponse(kVendor, "presign", "data.id, data.uploadUrl and data.contentType");
  }
  u.method = stringOr(*data, "method", "PUT");
  u.expiresAt = stringOr(*data, "expiresAt");
  u.maxSizeBytes = uint64Or(*data, "maxSizeBytes", 0);
  return Error();
}

void scripePresign(const OpContext& ctx, const ScripePresignSpec& spec, OpDone done) {
  presign(ctx, spec,
          [done](const Error& e, ScripeUpload& u) {
            if (!e.code.empty()) return done(e, nullptr);
            done(Error(), toJson(u, "id"));
          });
}

namespace {

// One uploadFile attempt, step by step: presign -> check the cap -> PUT -> finish (Scripe
// mints a fresh single-PUT URL per presign, so an expired URL starts a new attempt from
// presign). Steps run one after another; only the step running touches the run.
struct ScripeRun {
  OpContext ctx;
  ScripePresignSpec spec;
  std::shared_ptr<Source> source;
  ScripeUpload upload;  // the current attempt's presign answer
  OpDone done;          // the current attempt's
};

// Ends the current attempt (once; see endAttempt).
void endRun(const std::shared_ptr<ScripeRun>& run, const Error& e, JsonPtr out) {
  endAttempt(run->done, e, std::move(out));
}

void finishRun(const std::shared_ptr<ScripeRun>& run, const PutResult& r) {
  JsonPtr out = toJson(run->upload, "uploadId");
  put(*out, *out, "bytes", r.bytes);
  put(*out, *out, "md5", r.md5);
  endRun(run, Error(), out);
}

// The whole file to the presigned URL with exactly the signed Content-Type.
void putStep(const std::shared_ptr<ScripeRun>& run) {
  const ScripeUpload& u = run->upload;
  PutSpec ps;
  ps.url = u.uploadUrl;
  ps.method = u.method.empty() ? "PUT" : u.method;
  ps.headers = {{"Content-Type", u.contentType}};
  ps.body = BodyRange{run->source, 0, run->source->size()};
  putPresigned(*run->ctx.engine, run->ctx.job, std::move(ps), [run](const Error& pe, PutResult& r) {
    if (!pe.code.empty()) return endRun(run, pe, nullptr);
    finishRun(run, r);
  });
}

// A file larger than the cap Scripe signed is refused before any byte is sent.
void checkCapStep(const std::shared_ptr<ScripeRun>& run) {
  const ScripeUpload& u = run->upload;
  uint64_t size = run->source->size();
  if (u.maxSizeBytes > 0 && size > u.maxSizeBytes) {
    Error big = makeError(codes::kTooLarge, "the file has " + std::to_string(size) +
                                                " bytes but Scripe signed the upload for at most " +
                                                std::to_string(u.maxSizeBytes));
    return endRun(run, big, nullptr);
  }
  putStep(run);
}

void presignStep(const std::shared_ptr<ScripeRun>& run) {
  presign(run->ctx, run->spec, [run](const Error& e, ScripeUpload& u) {
    if (!e.code.empty()) return endRun(run, e, nullptr);
    run->upload = u;
    checkCapStep(run);
  });
}

}  // namespace

void scripeUploadFile(const OpContext& ctx, const ScripeUploadFileSpec& spec, OpDone done) {
  if (!spec.source) {
    Error e = makeError(codes::kInvalidArgument, "source missing: pass the file's bytes");
    e.field = "source";
    return done(e, nullptr);
  }
  auto run = std::make_shared<ScripeRun>();
  run->ctx = ctx;
  run->spec = spec.presign;
  run->source = spec.source;
  presignAgainOnce(
      ctx.job,
      [run](bool, OpDone d) {
        run->done = std::move(d);
        presignStep(run);
      },
      "presigned again once; the new URL expired too", std::move(done));
}

}  // namespace uplift::vendors
