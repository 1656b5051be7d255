// Fuzz target: vendorErrorFields and mapVendorError, which read the error answers of every
// vendor API call (any shape: {error:{code,message}}, {errors:[...]}, {error:[...]},
// {code,message,s3_code}, {message}). Input: line 1 = the HTTP status (decimal); the rest =
// the response body.
// Invariants: nothing is read from a body that is not a JSON object; a string code or
// message comes verbatim from the body; the mapped error is AUTH for 401/403, RATE_LIMITED
// for 429 and VENDOR otherwise, names the vendor and step, and carries the vendor's code.
#include <set>

#include "fuzz_util.h"
#include "vendors/vendor_call.h"

using namespace uplift;

namespace {

// Every string value up to depth 2 (the deepest place vendorErrorFields looks).
void collectStrings(const rapidjson::Value& v, int depth, std::set<std::string>* out) {
  if (v.IsString()) out->insert(std::string(v.GetString(), v.GetStringLength()));
  if (depth >= 3) return;
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) collectStrings(m.value, depth + 1, out);
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) collectStrings(e, depth + 1, out);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string head, body;
  fuzz::splitFirstLine(fuzz::asString(data, size), &head, &body);

  std::string code, message;
  vendors::vendorErrorFields(body, &code, &message);
  Json doc;
  if (!fuzz::parseAnswer(body, &doc)) {
    FUZZ_CHECK(code.empty() && message.empty());
  } else {
    std::set<std::string> strings;
    collectStrings(doc, 0, &strings);
    uint64_t n = 0;
    bool numeric = getUint64(doc, "code", &n) && code == std::to_string(n);
    FUZZ_CHECK(code.empty() || strings.count(code) == 1 || numeric);
    FUZZ_CHECK(message.empty() || strings.count(message) == 1);
  }

  // Values already set are kept (the first shape that has them wins).
  std::string keptCode = "kept", keptMessage = "kept";
  vendors::vendorErrorFields(body, &keptCode, &keptMessage);
  FUZZ_CHECK(keptMessage == "kept");

  HttpResponse resp;
  resp.status = static_cast<long>(fuzz::leadingUint64(head) % 1000);
  resp.body = body;
  Error http = makeError(codes::kHttp, "POST answered HTTP " + std::to_string(resp.status));
  http.httpStatus = resp.status;
  Error e = vendors::mapVendorError("Plaud", "presign", http, resp);
  if (resp.status <= 0) {
    FUZZ_CHECK(e.code == codes::kHttp && e.message == http.message);
    return 0;
  }
  if (resp.status == 401 || resp.status == 403) {
    FUZZ_CHECK(e.code == codes::kAuth);
  } else if (resp.status == 429) {
    FUZZ_CHECK(e.code == codes::kRateLimited);
  } else {
    FUZZ_CHECK(e.code == codes::kVendor);
  }
  FUZZ_CHECK(e.vendorCode == code);
  FUZZ_CHECK(e.message.find("Plaud presign failed with HTTP " + std::to_string(resp.status)) == 0);
  FUZZ_CHECK(e.httpStatus == resp.status);

  // Transport errors pass through untouched.
  Error net = makeError(codes::kNetwork, "network error: reset");
  Error same = vendors::mapVendorError("Plaud", "presign", net, resp);
  FUZZ_CHECK(same.code == codes::kNetwork && same.message == net.message && same.vendorCode.empty());
  return 0;
}
