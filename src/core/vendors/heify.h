// Heify (vendor-docs/heify-request-upload-url.md): request an upload URL (5 minutes), then
// PUT with Content-Type and the signed x-amz-meta-* headers for the ids it was given.
#pragma once

#include "../ops.h"

namespace uplift::vendors {

// spec {baseUrl, apiKey, configurationId, evaluatorId?, participantId?, name?}
//   -> {transcriptionId, uploadUrl, configurationId, evaluatorId, participantId, name}
void heifyPresign(const OpContext& ctx, OpDone done);
// spec: presign's + {source, contentType} -> presign's result + {bytes, md5}
void heifyUploadFile(const OpContext& ctx, OpDone done);

}  // namespace uplift::vendors
