// Fuzz target: readHeifyPresign (Heify's request-upload-url answer {data:{transcription_id,
// upload_url, configuration_id, evaluator_id?, participant_id?, name?}}). Input: the answer
// body; only JSON objects reach the reader (as in callJson).
// Invariants: success exactly when the three ids/URL are strings; the result holds six
// members: the three copied, and evaluatorId/participantId/name as strings or null.
#include "fuzz_util.h"
#include "vendors/readers.h"

using namespace uplift;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Json doc;
  if (!fuzz::parseAnswer(fuzz::asString(data, size), &doc)) return 0;
  JsonPtr out;
  Error e = vendors::readHeifyPresign(doc, &out);
  const rapidjson::Value* d = member(doc, "data");
  std::string id, url, conf;
  bool complete = d && getString(*d, "transcription_id", &id) && getString(*d, "upload_url", &url) &&
                  getString(*d, "configuration_id", &conf);
  FUZZ_CHECK(e.code.empty() == complete);
  if (!complete) {
    FUZZ_CHECK(fuzz::isReaderError(e, "Heify request-upload-url") && !out);
    return 0;
  }
  FUZZ_CHECK(out && out->IsObject() && out->MemberCount() == 6);
  FUZZ_CHECK(stringOr(*out, "transcriptionId", "?") == id);
  FUZZ_CHECK(stringOr(*out, "uploadUrl", "?") == url);
  FUZZ_CHECK(stringOr(*out, "configurationId", "?") == conf);
  for (auto [from, to] : {std::pair<const char*, const char*>{"evaluator_id", "evaluatorId"},
                          {"participant_id", "participantId"},
                          {"name", "name"}}) {
    const rapidjson::Value* v = member(*out, to);
    FUZZ_CHECK(v != nullptr);
    std::string s;
    if (getString(*d, from, &s)) {
      FUZZ_CHECK(v->IsString() && std::string(v->GetString(), v->GetStringLength()) == s);
    } else {
      FUZZ_CHECK(v->IsNull());
    }
  }
  return 0;
}
