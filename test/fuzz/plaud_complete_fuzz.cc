// Fuzz target: readPlaudComplete (Plaud's complete-upload answer {FileId, DownloadUrl,
// FileType?, FileMd5?}). Input: line 1 = the MD5 of the uploaded bytes (any text, may be
// empty); the rest = the answer body; only JSON objects reach the reader (as in callJson).
// Invariants: FileId and DownloadUrl are required; a FileMd5 that differs from the uploaded
// bytes' MD5 (both non-empty; the vendor's compared in lower case, as it may answer upper
// case hex) is an integrity error; the result holds exactly fileId, fileType, downloadUrl
// and fileMd5 (the vendor's in lower case, else ours).
#include <cctype>

#include "fuzz_util.h"
#include "vendors/readers.h"

using namespace uplift;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string md5, body;
  fuzz::splitFirstLine(fuzz::asString(data, size), &md5, &body);
  Json doc;
  if (!fuzz::parseAnswer(body, &doc)) return 0;
  JsonPtr out;
  Error e = vendors::readPlaudComplete(doc, md5, &out);

  std::string fileId, url, theirs;
  bool fields = getString(doc, "FileId", &fileId) && getString(doc, "DownloadUrl", &url);
  getString(doc, "FileMd5", &theirs);
  for (char& ch : theirs) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  bool mismatch = !theirs.empty() && !md5.empty() && theirs != md5;
  if (!fields) {
    FUZZ_CHECK(e.code == codes::kBadResponse && fuzz::isReaderError(e, "Plaud complete-upload") && !out);
    return 0;
  }
  if (mismatch) {
    FUZZ_CHECK(e.code == codes::kIntegrity && !out);
    return 0;
  }
  FUZZ_CHECK(e.code.empty() && out && out->IsObject() && out->MemberCount() == 4);
  FUZZ_CHECK(stringOr(*out, "fileId", "?") == fileId);
  FUZZ_CHECK(stringOr(*out, "downloadUrl", "?") == url);
  FUZZ_CHECK(stringOr(*out, "fileType", "?") == stringOr(doc, "FileType"));
  FUZZ_CHECK(stringOr(*out, "fileMd5", "?") == (theirs.empty() ? md5 : theirs));
  return 0;
}
