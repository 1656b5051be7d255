// Fuzz target: readKoreSession (Kore's session start answer {sessionId, expirationDate}).
// Input: the answer body; only JSON objects reach the reader (as in callJson).
// Invariants: success exactly when sessionId is a string; the result holds sessionId and
// expirationDate ("" when absent or not a string).
#include "fuzz_util.h"
#include "vendors/readers.h"

using namespace uplift;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Json doc;
  if (!fuzz::parseAnswer(fuzz::asString(data, size), &doc)) return 0;
  JsonPtr out;
  Error e = vendors::readKoreSession(doc, &out);
  std::string id;
  bool complete = getString(doc, "sessionId", &id);
  FUZZ_CHECK(e.code.empty() == complete);
  if (!complete) {
    FUZZ_CHECK(fuzz::isReaderError(e, "Kore.ai session start") && !out);
    return 0;
  }
  FUZZ_CHECK(out && out->IsObject() && out->MemberCount() == 2);
  FUZZ_CHECK(stringOr(*out, "sessionId", "?") == id);
  FUZZ_CHECK(stringOr(*out, "expirationDate", "?") == stringOr(doc, "expirationDate"));
  return 0;
}
