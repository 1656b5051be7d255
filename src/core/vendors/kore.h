// Kore.ai file upload (vendor-docs/kore-file-upload-api.md), x-api-key auth. Under the
// single-upload limit: one multipart POST with `file` and `fileContext`. At or above it: a
// session (start), numbered chunk POSTs (multipart `file` + `chunkNumber`, 0-based, several
// in flight) and complete (Content-Type: application/json), which merges the chunks.
#pragma once

#include "../ops.h"

namespace uplift::vendors {

// spec {baseUrl, apiKey, fileContext, fileName, fileSize, totalChunks, fileExtension}
//   -> {sessionId, expirationDate}
void korePresign(const OpContext& ctx, OpDone done);
// spec {baseUrl, apiKey, sessionId, source, fileName, contentType, chunkSizeBytes, concurrency}
//   -> {chunks, bytes, md5}
void koreUpload(const OpContext& ctx, OpDone done);
// spec {baseUrl, apiKey, sessionId} -> {fileId, url}
void koreComplete(const OpContext& ctx, OpDone done);
// spec {baseUrl, apiKey, source, fileName, contentType, fileContext, fileExtension,
//       chunkSizeBytes, singleLimitBytes, concurrency, sessionId?, chunkNumbers?}
//   -> {fileId, url, mode: "single"|"chunked", chunks, bytes, md5}
// Under singleLimitBytes (default 25,000,000) one POST; a 413 answer goes chunked once.
// With sessionId (a stored session being resumed) only chunkNumbers (the chunks not yet
// stored) are sent, then complete. Chunk numbers complete reports missing are sent again once.
void koreUploadFile(const OpContext& ctx, OpDone done);

}  // namespace uplift::vendors
