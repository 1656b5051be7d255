// Fuzz target: readKoreChunk (the answer to each Kore chunk POST: any JSON object). Input:
// line 1 = the chunk index (decimal, below 10,000); the rest = the raw answer body.
// Invariants: success exactly when the body is a JSON object; a failure is a bad response
// that carries the chunk index as partNumber.
#include "fuzz_util.h"
#include "vendors/readers.h"

using namespace uplift;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string head, body;
  fuzz::splitFirstLine(fuzz::asString(data, size), &head, &body);
  size_t chunk = static_cast<size_t>(fuzz::leadingUint64(head) % 10000);
  Error e = vendors::readKoreChunk(body, chunk);
  Json doc;
  bool object = fuzz::parseAnswer(body, &doc);
  FUZZ_CHECK(e.code.empty() == object);
  if (!object) {
    FUZZ_CHECK(fuzz::isReaderError(e, "Kore.ai chunk upload"));
    FUZZ_CHECK(e.partNumber == static_cast<int>(chunk));
  }
  return 0;
}
