// Plaud file upload (vendor-docs/plaud-file-upload-api.md): presign returns S3 multipart
// part URLs; each part is PUT without Authorization, its quoted ETag kept; complete sends
// the part list and the lowercase hex MD5 of the whole file.
// Each op takes a typed spec the binding reads once (lib/native.ts declares the same shapes);
// defaults come from facts.h. Results are JSON objects.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../ops.h"
#include "../primitives.h"
#include "facts.h"
#include "readers.h"

namespace uplift::vendors {

// The Plaud API: its base URL (before /open/partner/...) and the user token.
struct PlaudApi {
  std::string baseUrl;
  std::string token;
};

// A presign answer as upload() and a resumed uploadFile() are given it back.
struct PlaudTicketSpec {
  std::string fileId, uploadId;
  uint64_t chunkSizeBytes = 0;
  std::vector<PartUrl> parts;
};

struct PlaudPresignSpec {
  PlaudApi api;
  uint64_t fileSize = 0;
  std::string fileType;
};

struct PlaudUploadSpec {
  std::shared_ptr<Source> source;
  PlaudTicketSpec ticket;
  std::vector<PartEtag> storedParts;  // parts S3 already holds: not sent again
  int concurrency = static_cast<int>(facts::kPlaudDefaultConcurrency);
};

struct PlaudCompleteSpec {
  PlaudApi api;
  std::string fileId, uploadId;
  std::vector<PartEtag> parts;
  std::string fileType, md5;
};

struct PlaudUploadFileSpec {
  PlaudApi api;
  std::shared_ptr<Source> source;
  std::string fileType;
  int concurrency = static_cast<int>(facts::kPlaudDefaultConcurrency);
  bool resume = false;                // true: ticket and storedParts are given (no presign)
  PlaudTicketSpec ticket;
  std::vector<PartEtag> storedParts;
};

// -> {fileId, uploadId, chunkSizeBytes, parts:[{partNumber,url}]}
void plaudPresign(const OpContext& ctx, const PlaudPresignSpec& spec, OpDone done);
// -> {parts:[{partNumber, etag}], md5, bytes}: the ticket's parts (laid out here over the
// source's size in parts of chunkSizeBytes), those not in storedParts PUT; no presign, no
// complete. A ticket whose parts do not fit the source is ERR_UPLIFT_INVALID_ARGUMENT
// (field "parts").
void plaudUpload(const OpContext& ctx, const PlaudUploadSpec& spec, OpDone done);
// -> {fileId, fileType, downloadUrl, fileMd5}
void plaudComplete(const OpContext& ctx, const PlaudCompleteSpec& spec, OpDone done);
// -> {fileId, fileType, downloadUrl, fileMd5, parts, md5, bytes}: presign, the parts, then
// complete with every part. With resume (a stored ticket and the parts S3 stored), no
// presign: only the parts not stored are sent.
void plaudUploadFile(const OpContext& ctx, const PlaudUploadFileSpec& spec, OpDone done);

}  // namespace uplift::vendors
