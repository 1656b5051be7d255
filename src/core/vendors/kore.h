// Kore.ai file upload (vendor-docs/kore-file-upload-api.md), x-api-key auth. Under the
// single-upload limit: one multipart POST with `file` and `fileContext`. At or above it: a
// session (start), numbered chunk POSTs (multipart `file` + `chunkNumber`, 0-based, several
// in flight) and complete (Content-Type: application/json), which merges the chunks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../ops.h"
#include "facts.h"

namespace uplift::vendors {

// The spec of every Kore op (each reads the fields its comment names); the binding reads it
// once (lib/native.ts declares the same shapes); defaults come from facts.h.
struct KoreSpec {
  std::string baseUrl, apiKey;
  std::shared_ptr<Source> source;
  std::string fileName = facts::kKoreDefaultFileName;
  std::string contentType, fileContext, fileExtension;
  uint64_t fileSize = 0;
  uint64_t totalChunks = 1;
  uint64_t chunkSizeBytes = facts::kKoreDefaultChunkBytes;
  uint64_t singleLimitBytes = facts::kKoreSingleLimitBytes;
  int concurrency = static_cast<int>(facts::kKoreDefaultConcurrency);
  std::string sessionId;  // a stored session (resume) or the one presign answered
  bool onlyChunks = false;                 // true: send only chunkNumbers (a resumed session)
  std::vector<uint64_t> chunkNumbers;      // 0-based
};

// {baseUrl, apiKey, fileContext, fileName, fileSize, totalChunks, fileExtension}
//   -> {sessionId, expirationDate}
void korePresign(const OpContext& ctx, const KoreSpec& spec, OpDone done);
// {baseUrl, apiKey, sessionId, source, fileName, contentType, chunkSizeBytes, concurrency,
//  chunkNumbers?} -> {chunks, bytes, md5}
void koreUpload(const OpContext& ctx, const KoreSpec& spec, OpDone done);
// {baseUrl, apiKey, sessionId} -> {fileId, url}
void koreComplete(const OpContext& ctx, const KoreSpec& spec, OpDone done);
// {baseUrl, apiKey, source, fileName, contentType, fileContext, fileExtension,
//  chunkSizeBytes, singleLimitBytes, concurrency, sessionId?, chunkNumbers?}
//   -> {fileId, url, mode: "single"|"chunked", chunks, bytes, md5}
// Under singleLimitBytes (default 25,000,000) one POST; a 413 answer goes chunked once.
// With sessionId (a stored session being resumed) only chunkNumbers (the chunks not yet
// stored) are sent, then complete. Chunk numbers complete reports missing are sent again once.
void koreUploadFile(const OpContext& ctx, const KoreSpec& spec, OpDone done);

}  // namespace uplift::vendors
