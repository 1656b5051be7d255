// Fuzz target: readPlaudPresign (Plaud's presign answer {FileId, UploadId, ChunkSize,
// Parts:[{PartNumber, PresignedUrl}]}). Input: line 1 = the file size in bytes (decimal);
// the rest = the answer body; only JSON objects reach the reader (as in callJson).
// Invariants: on success there are exactly partCount(fileSize, ChunkSize) parts, numbered
// 1..n once each, laid out back to back over the whole file (offset (n-1) * ChunkSize,
// lengths summing to fileSize), URLs copied whole; otherwise a bad-response error.
#include <vector>

#include "fuzz_util.h"
#include "parts_math.h"
#include "vendors/readers.h"

using namespace uplift;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string head, body;
  fuzz::splitFirstLine(fuzz::asString(data, size), &head, &body);
  uint64_t fileSize = fuzz::leadingUint64(head);
  Json doc;
  if (!fuzz::parseAnswer(body, &doc)) return 0;
  vendors::PlaudTicket t;
  Error e = vendors::readPlaudPresign(doc, fileSize, &t);
  if (!e.code.empty()) {
    FUZZ_CHECK(fuzz::isReaderError(e, "Plaud presign"));
    return 0;
  }
  std::string fileId, uploadId;
  FUZZ_CHECK(getString(doc, "FileId", &fileId) && fileId == t.fileId);
  FUZZ_CHECK(getString(doc, "UploadId", &uploadId) && uploadId == t.uploadId);
  FUZZ_CHECK(t.chunkSize > 0 && uint64Or(doc, "ChunkSize", 0) == t.chunkSize);
  uint64_t n = partCount(fileSize, t.chunkSize);
  FUZZ_CHECK(t.parts.size() == n);
  const rapidjson::Value& parts = doc["Parts"];
  FUZZ_CHECK(parts.IsArray() && parts.Size() == n);

  std::vector<bool> seen(t.parts.size() + 1, false);
  uint64_t total = 0;
  for (size_t i = 0; i < t.parts.size(); ++i) {
    const PartSpec& p = t.parts[i];
    FUZZ_CHECK(p.partNumber >= 1 && static_cast<uint64_t>(p.partNumber) <= n);
    FUZZ_CHECK(!seen[static_cast<size_t>(p.partNumber)]);
    seen[static_cast<size_t>(p.partNumber)] = true;
    FUZZ_CHECK(p.partNumber == parts[static_cast<rapidjson::SizeType>(i)]["PartNumber"].GetInt());
    FUZZ_CHECK(p.url == stringOr(parts[static_cast<rapidjson::SizeType>(i)], "PresignedUrl", "?"));
    FUZZ_CHECK(p.offset == static_cast<uint64_t>(p.partNumber - 1) * t.chunkSize);
    FUZZ_CHECK(p.length <= t.chunkSize);
    FUZZ_CHECK(p.offset + p.length <= fileSize || (fileSize == 0 && p.length == 0));
    // Every part but the last is full.
    if (static_cast<uint64_t>(p.partNumber) < n) FUZZ_CHECK(p.length == t.chunkSize);
    total += p.length;
  }
  FUZZ_CHECK(total == fileSize);
  return 0;
}
