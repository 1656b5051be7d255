// Heify: request-upload-url -> PUT with signed metadata headers.
#include "heify.h"

#include "../primitives.h"
#include "readers.h"
#include "vendor_call.h"

namespace uplift::vendors {

namespace {

constexpr const char* kVendor = "Heify";

void presign(const OpContext& ctx, OpDone done) {
  const Json& spec = *ctx.spec;
  Json body(rapidjson::kObjectType);
  put(body, body, "configuration_id", stringOr(spec, "configurationId"));
  std::string v;
  if (getString(spec, "evaluatorId", &v)) put(body, body, "evaluator_id", v);
  if (getString(spec, "participantId", &v)) put(body, body, "participant_id", v);
  if (getString(spec, "name", &v)) put(body, body, "name", v);
  VendorRequest r;
  r.vendor = kVendor;
  r.step = "request-upload-url";
  r.url = joinUrl(stringOr(spec, "baseUrl"), "/request-upload-url");
  r.headers = {{"x-api-key", stringOr(spec, "apiKey")}};
  r.jsonBody = toJsonString(body);
  callJson(*ctx.engine, ctx.job, std::move(r), [done](const Error& e, JsonPtr doc, const HttpResponse&) {
    if (!e.code.empty()) return done(e, nullptr);
    JsonPtr out;
    Error re = readHeifyPresign(*doc, &out);
    if (!re.code.empty()) return done(re, nullptr);
    done(Error(), out);
  });
}

}  // namespace

Error readHeifyPresign(const Json& doc, JsonPtr* result) {
  const rapidjson::Value* data = member(doc, "data");
  std::string id, url, conf;
  if (!data || !getString(*data, "transcription_id", &id) || !getString(*data, "upload_url", &url) ||
      !getString(*data, "configuration_id", &conf)) {
    return badResponse(kVendor, "request-upload-url",
                       "data.transcription_id, data.upload_url and data.configuration_id");
  }
  auto out = std::make_shared<Json>(rapidjson::kObjectType);
  put(*out, *out, "transcriptionId", id);
  put(*out, *out, "uploadUrl", url);
  put(*out, *out, "configurationId", conf);
  for (auto [from, to] : {std::pair<const char*, const char*>{"evaluator_id", "evaluatorId"},
                          {"participant_id", "participantId"},
                          {"name", "name"}}) {
    std::string s;
    if (getString(*data, from, &s)) {
      put(*out, *out, to, s);
    } else {
      putNull(*out, *out, to);
    }
  }
  *result = out;
  return Error();
}

void heifyPresign(const OpContext& ctx, OpDone done) { presign(ctx, std::move(done)); }

namespace {

// Request a URL right before the PUT (it lives 5 minutes); one that expired before the PUT
// finished is requested again once and the whole file re-sent.
void presignAndPut(const OpContext& c, const std::shared_ptr<Source>& source,
                   const std::string& contentType, bool again, OpDone done) {
  presign(c, [c, source, contentType, again, done](const Error& e, JsonPtr ticket) {
    if (!e.code.empty()) return done(e, nullptr);
    PutSpec ps;
    ps.url = stringOr(*ticket, "uploadUrl");
    ps.headers = {{"Content-Type", contentType},
                  {"x-amz-meta-configuration_id", stringOr(*ticket, "configurationId")}};
    std::string v;
    if (getString(*ticket, "evaluatorId", &v)) ps.headers.emplace_back("x-amz-meta-evaluator_id", v);
    if (getString(*ticket, "participantId", &v)) ps.headers.emplace_back("x-amz-meta-participant_id", v);
    ps.body = BodyRange{source, 0, source->size()};
    putPresigned(*c.engine, c.job, std::move(ps),
                 [c, source, contentType, again, ticket, done](const Error& pe, PutResult& r) {
                   if (pe.code == codes::kUrlExpired && !again && !c.job->cancelled()) {
                     return presignAndPut(c, source, contentType, true, done);
                   }
                   if (!pe.code.empty()) {
                     Error out = pe;
                     if (out.code == codes::kUrlExpired) out.message += " (requested a new URL once; it expired too)";
                     return done(out, nullptr);
                   }
                   put(*ticket, *ticket, "bytes", r.bytes);
                   put(*ticket, *ticket, "md5", r.md5);
                   done(Error(), ticket);
                 });
  });
}

}  // namespace

void heifyUploadFile(const OpContext& ctx, OpDone done) {
  Error err;
  const rapidjson::Value* ref = member(*ctx.spec, "source");
  std::shared_ptr<Source> source = ref ? sourceAt(ctx, *ref, &err) : nullptr;
  if (!source) return done(err, nullptr);
  presignAndPut(ctx, source, stringOr(*ctx.spec, "contentType", "application/octet-stream"), false,
                std::move(done));
}

}  // namespace uplift::vendors
