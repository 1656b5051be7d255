// callJson and vendor error mapping.
#include "vendor_call.h"

#include <cctype>

#include "../retry.h"

namespace uplift::vendors {

std::string joinUrl(const std::string& base, const std::string& path) {
  if (!base.empty() && base.back() == '/' && !path.empty() && path.front() == '/') {
    return base + path.substr(1);
  }
  return base + path;
}

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

}  // namespace

void presignAgainOnce(const std::shared_ptr<Job>& job, Attempt attempt, std::string note, OpDone done) {
  attempt(false, [job, attempt, note, done](const Error& e, JsonPtr out) {
    if (e.code != codes::kUrlExpired || job->cancelled()) return done(e, out);
    attempt(true, [note, done](const Error& e2, JsonPtr out2) {
      if (e2.code != codes::kUrlExpired) return done(e2, out2);
      Error last = e2;
      last.message += " (" + note + ")";
      done(last, nullptr);
    });
  });
}

std::vector<std::string> signedHeaderNames(const std::string& url, bool* found) {
  std::vector<std::string> names;
  *found = false;
  size_t q = url.find('?');
  if (q == std::string::npos) return names;
  size_t end = url.find('#', q);
  std::string query = url.substr(q + 1, end == std::string::npos ? std::string::npos : end - q - 1);
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string pair = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = pair.find('=');
    if (eq != std::string::npos && percentDecode(pair.substr(0, eq)) == "X-Amz-SignedHeaders") {
      *found = true;
      std::string list = percentDecode(pair.substr(eq + 1));
      size_t start = 0;
      while (start <= list.size()) {
        size_t semi = list.find(';', start);
        std::string name = list.substr(start, semi == std::string::npos ? std::string::npos : semi - start);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!name.empty()) names.push_back(name);
        if (semi == std::string::npos) break;
        start = semi + 1;
      }
      return names;
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return names;
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
  req.slowAnswer = vr.slowAnswer;
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

void endAttempt(OpDone& held, const Error& e, JsonPtr out) {
  OpDone d = std::move(held);
  held = nullptr;
  if (d) d(e, std::move(out));
}

}  // namespace uplift::vendors
