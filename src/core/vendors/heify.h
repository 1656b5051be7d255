// Heify (vendor-docs/heify-request-upload-url.md): request an upload URL (5 minutes), then
// PUT with Content-Type and exactly the x-amz-meta-* headers the URL's X-Amz-SignedHeaders
// lists, valued from the presign answer (never an unsigned x-amz-* header).
#pragma once

#include "../ops.h"

namespace uplift::vendors {

// spec {baseUrl, apiKey, configurationId, evaluatorId?, participantId?, name?}
//   -> {transcriptionId, uploadUrl, configurationId, evaluatorId, participantId, name}
void heifyPresign(const OpContext& ctx, OpDone done);
// spec: presign's + {source, contentType} -> presign's result + {bytes, md5}
void heifyUploadFile(const OpContext& ctx, OpDone done);
// spec {uploadUrl, configurationId, evaluatorId?, participantId?, source, contentType}
//   -> {status, etag, bytes, md5}; a signed header without a value: ERR_UPLIFT_INVALID_ARGUMENT
void heifyUpload(const OpContext& ctx, OpDone done);

}  // namespace uplift::vendors
