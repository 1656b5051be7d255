// Fuzz target: readKoreFileAnswer (Kore's single-upload and complete answers {fileId, url}).
// Input: the answer body; only JSON objects reach the reader (as in callJson).
// Invariants: success exactly when fileId and url are strings; the result holds exactly
// those two, copied whole; a failure names the vendor and the step.
#include "fuzz_util.h"
#include "vendors/readers.h"

using namespace uplift;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Json doc;
  if (!fuzz::parseAnswer(fuzz::asString(data, size), &doc)) return 0;
  JsonPtr out;
  Error e = vendors::readKoreFileAnswer("complete", doc, &out);
  std::string fileId, url;
  bool complete = getString(doc, "fileId", &fileId) && getString(doc, "url", &url);
  FUZZ_CHECK(e.code.empty() == complete);
  if (!complete) {
    FUZZ_CHECK(fuzz::isReaderError(e, "Kore.ai complete") && !out);
    return 0;
  }
  FUZZ_CHECK(out && out->IsObject() && out->MemberCount() == 2);
  FUZZ_CHECK(stringOr(*out, "fileId", "?") == fileId && stringOr(*out, "url", "?") == url);
  return 0;
}
