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

// Presign, check the cap, PUT (the whole file; Scripe mints a fresh single-PUT URL per call).
void presignAndPut(const OpContext& c, const ScripePresignSpec& spec, const std::shared_ptr<Source>& source,
                   OpDone done) {
  presign(c, spec,
          [c, source, done](const Error& e, ScripeUpload& u) {
            if (!e.code.empty()) return done(e, nullptr);
            if (u.maxSizeBytes > 0 && source->size() > u.maxSizeBytes) {
              Error big = makeError(codes::kTooLarge,
                                    "the file has " + std::to_string(source->size()) +
                                        " bytes but Scripe signed the upload for at most " +
                                        std::to_string(u.maxSizeBytes));
              return done(big, nullptr);
            }
            PutSpec ps;
            ps.url = u.uploadUrl;
            ps.method = u.method.empty() ? "PUT" : u.method;
            ps.headers = {{"Content-Type", u.contentType}};
            ps.body = BodyRange{source, 0, source->size()};
            putPresigned(*c.engine, c.job, std::move(ps), [u, done](const Error& pe, PutResult& r) {
              if (!pe.code.empty()) return done(pe, nullptr);
              JsonPtr out = toJson(u, "uploadId");
              put(*out, *out, "bytes", r.bytes);
              put(*out, *out, "md5", r.md5);
              done(Error(), out);
            });
          });
}

}  // namespace

void scripeUploadFile(const OpContext& ctx, const ScripeUploadFileSpec& spec, OpDone done) {
  if (!spec.source) {
    Error e = makeError(codes::kInvalidArgument, "source missing: pass the file's bytes");
    e.field = "source";
    return done(e, nullptr);
  }
  OpContext c = ctx;
  presignAgainOnce(
      ctx.job, [c, spec](bool, OpDone d) { presignAndPut(c, spec.presign, spec.source, std::move(d)); },
      "presigned again once; the new URL expired too", std::move(done));
}

}  // namespace uplift::vendors
