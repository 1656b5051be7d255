// Heify: request-upload-url -> PUT with signed metadata headers.
#include "heify.h"

#include <tuple>

#include "../primitives.h"
#include "readers.h"
#include "vendor_call.h"

namespace uplift::vendors {

namespace {

constexpr const char* kVendor = "Heify";

void presign(const OpContext& ctx, const HeifyPresignSpec& spec, OpDone done) {
  Json body(rapidjson::kObjectType);
  put(body, body, "configuration_id", spec.ids.configurationId);
  if (!spec.ids.evaluatorId.empty()) put(body, body, "evaluator_id", spec.ids.evaluatorId);
  if (!spec.ids.participantId.empty()) put(body, body, "participant_id", spec.ids.participantId);
  if (!spec.name.empty()) put(body, body, "name", spec.name);
  VendorRequest r;
  r.vendor = kVendor;
  r.step = "request-upload-url";
  r.url = joinUrl(spec.api.baseUrl, "/request-upload-url");
  r.headers = {{"x-api-key", spec.api.apiKey}};
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

void heifyPresign(const OpContext& ctx, const HeifyPresignSpec& spec, OpDone done) {
  presign(ctx, spec, std::move(done));
}

namespace {

// The x-amz-meta-* headers the PUT carries: exactly those the upload URL's
// X-Amz-SignedHeaders lists, valued from the ticket (S3 refuses an unsigned x-amz-* header
// with 403 AccessDenied, a signed one missing with 403 SignatureDoesNotMatch). A listed
// header the ticket has no value for is an error (code errCode) before any byte is sent.
// A URL without X-Amz-SignedHeaders (not SigV4) gets one header per id the ticket holds.
Error metaHeaders(const std::string& url, const HeifyIds& ids, const char* errCode, Headers* out) {
  const std::tuple<const char*, const char*, const std::string*> kIds[] = {
      {"configuration_id", "configurationId", &ids.configurationId},
      {"evaluator_id", "evaluatorId", &ids.evaluatorId},
      {"participant_id", "participantId", &ids.participantId}};
  const std::string prefix = "x-amz-meta-";
  bool sigv4 = false;
  std::vector<std::string> signedNames = signedHeaderNames(url, &sigv4);
  if (!sigv4) {
    for (auto [meta, field, v] : kIds) {
      if (!v->empty()) out->emplace_back(prefix + meta, *v);
    }
    return Error();
  }
  for (const std::string& name : signedNames) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string meta = name.substr(prefix.size());
    const char* field = nullptr;
    const std::string* value = nullptr;
    for (auto [m, f, v] : kIds) {
      if (meta == m) field = f, value = v;
    }
    if (!field || value->empty()) {
      return makeError(errCode, "the Heify upload URL signs the header " + name + " but " +
                                    (field ? std::string("the upload's ") + field + " is empty"
                                           : std::string("Heify's answer has no field for it")) +
                                    "; pass the object presign() answered, unchanged (nothing was sent)");
    }
    out->emplace_back(name, *value);
  }
  return Error();
}

// The ids of a presign answer (null ids are empty).
HeifyIds idsOf(const Json& ticket) {
  HeifyIds ids;
  getString(ticket, "configurationId", &ids.configurationId);
  getString(ticket, "evaluatorId", &ids.evaluatorId);
  getString(ticket, "participantId", &ids.participantId);
  return ids;
}

// One run, step by step: [request-upload-url ->] headers (the signed meta ones) -> PUT -> finish.
// uploadFile starts at request-upload-url (its URL lives 5 minutes, so it is asked for right
// before the PUT, and an expired one starts a new attempt from there); upload() starts at the
// headers with the URL and ids the caller gives. Steps run one after another; only the step
// running touches the run.
struct HeifyRun {
  OpContext ctx;
  HeifyPresignSpec presign;  // uploadFile only
  std::shared_ptr<Source> source;
  std::string contentType;
  std::string uploadUrl;     // the current ticket's
  HeifyIds ids;              // the current ticket's: the meta headers' values
  Headers putHeaders;        // Content-Type and the signed x-amz-meta-* (headersStep)
  // uploadFile: the presign answer, which the result extends with {bytes, md5}; upload():
  // null, the result is {status, etag, bytes, md5}.
  JsonPtr ticket;
  // A signed header without a value: a bad answer from Heify (uploadFile) or a bad ticket
  // from the caller (upload()).
  const char* missingHeaderCode = codes::kBadResponse;
  OpDone done;               // the current attempt's
};

// Ends the current attempt (once; see endAttempt).
void endRun(const std::shared_ptr<HeifyRun>& run, const Error& e, JsonPtr out) {
  endAttempt(run->done, e, std::move(out));
}

void finishRun(const std::shared_ptr<HeifyRun>& run, const PutResult& r) {
  JsonPtr out = run->ticket;
  if (!out) {
    out = std::make_shared<Json>(rapidjson::kObjectType);
    put(*out, *out, "status", static_cast<uint64_t>(r.status));
    put(*out, *out, "etag", r.etag);
  }
  put(*out, *out, "bytes", r.bytes);
  put(*out, *out, "md5", r.md5);
  endRun(run, Error(), out);
}

// The whole source to the ticket's URL with the headers headersStep chose.
void putStep(const std::shared_ptr<HeifyRun>& run) {
  PutSpec ps;
  ps.url = run->uploadUrl;
  ps.headers = run->putHeaders;
  ps.body = BodyRange{run->source, 0, run->source->size()};
  putPresigned(*run->ctx.engine, run->ctx.job, std::move(ps), [run](const Error& pe, PutResult& r) {
    if (!pe.code.empty()) return endRun(run, pe, nullptr);
    finishRun(run, r);
  });
}

// Content-Type and the meta headers the URL signs; a signed header without a value ends the
// run before any byte is sent.
void headersStep(const std::shared_ptr<HeifyRun>& run) {
  run->putHeaders = {{"Content-Type", run->contentType}};
  Error me = metaHeaders(run->uploadUrl, run->ids, run->missingHeaderCode, &run->putHeaders);
  if (!me.code.empty()) return endRun(run, me, nullptr);
  putStep(run);
}

void requestUrlStep(const std::shared_ptr<HeifyRun>& run) {
  presign(run->ctx, run->presign, [run](const Error& e, JsonPtr ticket) {
    if (!e.code.empty()) return endRun(run, e, nullptr);
    run->ticket = ticket;
    run->uploadUrl = stringOr(*ticket, "uploadUrl");
    run->ids = idsOf(*ticket);
    headersStep(run);
  });
}

std::shared_ptr<HeifyRun> newRun(const OpContext& ctx, const std::shared_ptr<Source>& source,
                                 const std::string& contentType) {
  auto run = std::make_shared<HeifyRun>();
  run->ctx = ctx;
  run->source = source;
  run->contentType = contentType;
  return run;
}

Error noSource() {
  Error e = makeError(codes::kInvalidArgument, "source missing: pass the file's bytes");
  e.field = "source";
  return e;
}

}  // namespace

void heifyUploadFile(const OpContext& ctx, const HeifyUploadFileSpec& spec, OpDone done) {
  if (!spec.source) return done(noSource(), nullptr);
  std::shared_ptr<HeifyRun> run = newRun(ctx, spec.source, spec.contentType);
  run->presign = spec.presign;
  // a URL that expired before the PUT finished is requested again once and the file re-sent
  presignAgainOnce(
      ctx.job,
      [run](bool, OpDone d) {
        run->done = std::move(d);
        requestUrlStep(run);
      },
      "requested a new URL once; it expired too", std::move(done));
}

void heifyUpload(const OpContext& ctx, const HeifyUploadSpec& spec, OpDone done) {
  if (!spec.source) return done(noSource(), nullptr);
  std::shared_ptr<HeifyRun> run = newRun(ctx, spec.source, spec.contentType);
  run->uploadUrl = spec.uploadUrl;
  run->ids = spec.ids;
  run->missingHeaderCode = codes::kInvalidArgument;
  run->done = std::move(done);
  headersStep(run);
}

}  // namespace uplift::vendors
