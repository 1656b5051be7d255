// Fuzz target: readScripePresign (Scripe's presign answer {data:{id, uploadUrl,
// contentType, method?, expiresAt?, maxSizeBytes?}}). Input: the answer body; only JSON
// objects reach the reader (as in callJson).
// Invariants: success exactly when data.id, data.uploadUrl and data.contentType are
// strings; the upload copies them; method defaults to PUT, maxSizeBytes to 0 (no cap).
#include "fuzz_util.h"
#include "vendors/readers.h"

using namespace uplift;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Json doc;
  if (!fuzz::parseAnswer(fuzz::asString(data, size), &doc)) return 0;
  vendors::ScripeUpload u;
  Error e = vendors::readScripePresign(doc, &u);
  const rapidjson::Value* d = member(doc, "data");
  std::string id, url, type;
  bool complete = d && getString(*d, "id", &id) && getString(*d, "uploadUrl", &url) &&
                  getString(*d, "contentType", &type);
  FUZZ_CHECK(e.code.empty() == complete);
  if (!complete) {
    FUZZ_CHECK(fuzz::isReaderError(e, "Scripe presign"));
    return 0;
  }
  FUZZ_CHECK(u.id == id && u.uploadUrl == url && u.contentType == type);
  FUZZ_CHECK(u.method == stringOr(*d, "method", "PUT"));
  FUZZ_CHECK(u.expiresAt == stringOr(*d, "expiresAt"));
  uint64_t cap = 0;
  FUZZ_CHECK(u.maxSizeBytes == (getUint64(*d, "maxSizeBytes", &cap) ? cap : 0));
  return 0;
}
