// Plaud file upload (vendor-docs/plaud-file-upload-api.md): presign returns S3 multipart
// part URLs; each part is PUT without Authorization, its quoted ETag kept; complete sends
// the part list and the lowercase hex MD5 of the whole file.
#pragma once

#include "../ops.h"

namespace uplift::vendors {

// spec {baseUrl, token, fileSize, fileType} -> {fileId, uploadId, chunkSizeBytes, parts:[{partNumber,url}]}
void plaudPresign(const OpContext& ctx, OpDone done);
// spec {baseUrl, token, fileId, uploadId, parts:[{partNumber, etag}], fileType, md5}
//   -> {fileId, fileType, downloadUrl, fileMd5}
void plaudComplete(const OpContext& ctx, OpDone done);
// spec {source, ticket, storedParts?, concurrency} -> {parts:[{partNumber, etag}], md5, bytes}:
// the parts of a ticket presign answered (laid out here over the source's size in parts of
// its chunkSizeBytes), those not in storedParts PUT; no presign, no complete. A ticket whose
// parts do not fit the source is ERR_UPLIFT_INVALID_ARGUMENT (field "parts").
void plaudUpload(const OpContext& ctx, OpDone done);
// spec {baseUrl, token, source, fileType, concurrency, ticket?, storedParts?}
//   -> {fileId, fileType, downloadUrl, fileMd5, parts, md5, bytes}
// With ticket (a stored presign answer: {fileId, uploadId, chunkSizeBytes, parts:[{partNumber,
// url}]}) and storedParts ([{partNumber, etag}]), a resumed upload: no presign, only the
// parts not stored are sent, then complete with every part.
void plaudUploadFile(const OpContext& ctx, OpDone done);

}  // namespace uplift::vendors
