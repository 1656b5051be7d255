// Fuzz target: readEkaPresign (Eka's presign answer {uploadData:{url, fields}, folderPath,
// txn_id}). Input: the answer body; only JSON objects reach the reader (as in callJson).
// Invariants: success exactly when url, fields (object) and folderPath are there; the
// ticket copies them, keeps only the string-valued policy fields and keeps their order.
#include "fuzz_util.h"
#include "vendors/readers.h"

using namespace uplift;

namespace {
const rapidjson::Value* find(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(name);
  return it == v.MemberEnd() ? nullptr : &it->value;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Json doc;
  if (!fuzz::parseAnswer(fuzz::asString(data, size), &doc)) return 0;
  vendors::EkaTicket t;
  Error e = vendors::readEkaPresign(doc, &t);

  const rapidjson::Value* up = find(doc, "uploadData");
  const rapidjson::Value* url = up ? find(*up, "url") : nullptr;
  const rapidjson::Value* fields = up ? find(*up, "fields") : nullptr;
  const rapidjson::Value* folder = find(doc, "folderPath");
  bool complete = url && url->IsString() && fields && fields->IsObject() && folder && folder->IsString();
  FUZZ_CHECK(e.code.empty() == complete);
  if (!complete) {
    FUZZ_CHECK(fuzz::isReaderError(e, "Eka presign"));
    return 0;
  }
  FUZZ_CHECK(t.url == std::string(url->GetString(), url->GetStringLength()));
  FUZZ_CHECK(t.folderPath == std::string(folder->GetString(), folder->GetStringLength()));
  FUZZ_CHECK(t.txnId == stringOr(doc, "txn_id"));
  size_t i = 0;
  for (const auto& m : fields->GetObject()) {
    if (!m.value.IsString()) continue;
    FUZZ_CHECK(i < t.fields.size());
    // Names and values are copied as C strings (an embedded NUL ends them).
    FUZZ_CHECK(t.fields[i].name == std::string(m.name.GetString()));
    FUZZ_CHECK(t.fields[i].value == std::string(m.value.GetString()));
    ++i;
  }
  FUZZ_CHECK(i == t.fields.size());
  return 0;
}
