// The vendors' JSON answer readers: each presign / session / complete answer turned into a
// typed ticket or a result object. Pure functions (no I/O, no engine), called by the vendor
// flows inside their callJson callbacks and by the fuzz targets (test/fuzz/).
// Each returns an empty-code Error on success, else ERR_UPLIFT_BAD_RESPONSE (or, for Plaud
// complete, ERR_UPLIFT_INTEGRITY) naming the fields the answer lacks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../error.h"
#include "../http.h"
#include "../json.h"
#include "../primitives.h"

namespace uplift::vendors {

struct EkaTicket {
  std::string url, folderPath, txnId;
  std::vector<FormField> fields;  // in the order the vendor sent them
};

struct PartUrl {
  int partNumber = 0;
  std::string url;
};

struct PlaudTicket {
  std::string fileId, uploadId;
  uint64_t chunkSize = 0;
  std::vector<PartSpec> parts;  // offsets laid out over fileSize
};

struct ScripeUpload {
  std::string id, uploadUrl, method, contentType, expiresAt;
  uint64_t maxSizeBytes = 0;
};

// Eka presign {uploadData:{url, fields}, folderPath, txn_id}; *out may be partly filled on error.
Error readEkaPresign(const Json& doc, EkaTicket* out);

// Kore single upload and complete {fileId, url} -> *out = {fileId, url} (set on success only).
Error readKoreFileAnswer(const char* step, const Json& doc, JsonPtr* out);
// Kore session start {sessionId, expirationDate} -> *out = {sessionId, expirationDate}.
Error readKoreSession(const Json& doc, JsonPtr* out);
// Kore chunk answer: any JSON object; the error carries partNumber = chunk.
Error readKoreChunk(const std::string& body, size_t chunk);

// Lays a Plaud ticket's part URLs over fileSize bytes in parts of t->chunkSize (> 0): part
// n covers [(n-1)*chunkSize, +chunkSize), the last one shorter. Every number
// 1..partCount(fileSize, chunkSize) must appear once (*expected is that count). Fills
// t->parts on kOk.
enum class Layout { kOk, kWrongCount, kBadPart };
Layout layoutTicket(const std::vector<PartUrl>& parts, uint64_t fileSize, PlaudTicket* t,
                    uint64_t* expected);

// Plaud presign {FileId, UploadId, ChunkSize, Parts:[{PartNumber, PresignedUrl}]}: exactly
// partCount(fileSize, ChunkSize) parts, each number once. *out may be partly filled on error.
Error readPlaudPresign(const Json& doc, uint64_t fileSize, PlaudTicket* out);
// Plaud complete {FileId, DownloadUrl, FileType?, FileMd5?} -> *out = {fileId, fileType,
// downloadUrl, fileMd5} (set on success only); a FileMd5 other than md5 (both non-empty) is
// ERR_UPLIFT_INTEGRITY.
Error readPlaudComplete(const Json& doc, const std::string& md5, JsonPtr* out);

// Scripe presign {data:{id, uploadUrl, contentType, method?, expiresAt?, maxSizeBytes?}}.
Error readScripePresign(const Json& doc, ScripeUpload* out);

// Heify request-upload-url {data:{transcription_id, upload_url, configuration_id,
// evaluator_id?, participant_id?, name?}} -> *out = {transcriptionId, uploadUrl,
// configurationId, evaluatorId|null, participantId|null, name|null} (set on success only).
Error readHeifyPresign(const Json& doc, JsonPtr* out);

}  // namespace uplift::vendors
