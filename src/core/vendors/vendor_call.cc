// callJson and vendor error mapping.
#include "vendor_call.h"

#include "../retry.h"

namespace uplift::vendors {

std::string joinUrl(const std::string& base, const std::string& path) {
  if (!base.empty() && base.back() == '/' && !path.empty() && path.front() == '/') {
    return base + path.substr(1);
  }
  return base + path;
}

void vendorErrorFields(const std::string& body, std::string* code, std::string* message) {
  Json doc;
  std::string why;
  if (!parseJson(body, &doc, &why) || !doc.IsObject()) return;
  auto take = [&](const rapidjson::Value& o, const char* c, const char* m) {
    if (code->empty()) getString(o, c, code);
    if (message->empty()) getString(o, m, message);
  };
  if (const rapidjson::Value* e = member(doc, "error")) {
    if (e->IsObject()) take(*e, "code", "message");
    if (e->IsArray() && e->Size() > 0 && (*e)[0].IsObject()) take((*e)[0], "error_code", "message");
    if (e->IsString() && message->empty()) message->assign(e->GetString());
  }
  if (const rapidjson::Value* es = member(doc, "errors")) {
    if (es->IsArray() && es->Size() > 0 && (*es)[0].IsObject()) {
      take((*es)[0], "code", "msg");
      take((*es)[0], "code", "message");
    }
  }
  std::string s3;
  if (getString(doc, "s3_code", &s3)) *code = s3;
  take(doc, "code", "message");
  if (code->empty()) {
    uint64_t n;
    if (getUint64(doc, "code", &n)) *code = std::to_string(n);
  }
}

Error badResponse(const char* vendor, const char* step, const std::string& what) {
  return makeError(codes::kBadResponse,
                   std::string(vendor) + " " + step + " answered without " + what +
                       " (the answer does not match the vendor's documented shape)");
}

Error mapVendorError(const std::string& vendor, const std::string& step, const Error& e,
                     const HttpResponse& resp) {
  Error out = e;
  if (resp.status <= 0 || (e.code != codes::kHttp && e.code != codes::kRateLimited &&
                           e.code != codes::kUrlExpired)) {
    return out;
  }
  std::string code, message;
  vendorErrorFields(resp.body, &code, &message);
  out.vendorCode = code;
  if (resp.status == 401 || resp.status == 403) {
    out.code = codes::kAuth;
  } else if (resp.status == 429) {
    out.code = codes::kRateLimited;
  } else {
    out.code = codes::kVendor;
  }
  out.message = vendor + " " + step + " failed with HTTP " + std::to_string(resp.status) +
                (code.empty() ? "" : " " + code) + (message.empty() ? "" : ": " + message);
  if (resp.status == 401) out.message += " (check the token or API key)";
  return out;
}

void callJson(Engine& engine, const std::shared_ptr<Job>& job, VendorRequest vr, JsonDone done) {
  HttpRequest req;
  req.method = vr.method;
  req.url = vr.url;
  req.headers = vr.headers;
  req.headers.emplace_back("Accept", "application/json");
  req.maxResponseBody = vr.maxResponseBody;
  if (vr.isForm) {
    req.isForm = true;
    req.form = std::move(vr.form);
  } else if (!vr.jsonBody.empty()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.inlineBody = vr.jsonBody;
    req.hasInlineBody = true;
  }
  std::string vendor = vr.vendor;
  std::string step = vr.step;
  engine.send(job, std::move(req), [done, vendor, step](const Error& e, HttpResponse& resp) {
    if (!e.code.empty()) {
      Error out = mapVendorError(vendor, step, e, resp);
      done(out, nullptr, resp);
      return;
    }
    auto doc = std::make_shared<Json>();
    std::string why;
    if (!parseJson(resp.body, doc.get(), &why) || !doc->IsObject()) {
      Error bad = makeError(codes::kBadResponse, vendor + " " + step +
                                                     " answered HTTP " + std::to_string(resp.status) +
                                                     " with a body that is not a JSON object" +
                                                     (why.empty() ? "" : " (" + why + ")"));
      bad.httpStatus = resp.status;
      done(bad, nullptr, resp);
      return;
    }
    done(Error(), doc, resp);
  });
}

}  // namespace uplift::vendors
