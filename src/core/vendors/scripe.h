// Scripe uploads (vendor-docs/scripe-uploads.md): POST /v1/uploads mints one presigned PUT
// that signs the Content-Type and carries a size cap; the PUT sends exactly that type and
// no Authorization.
#pragma once

#include "../ops.h"

namespace uplift::vendors {

// spec {baseUrl, apiKey, apiVersion, contentType, maxSizeBytes?}
//   -> {id, uploadUrl, method, contentType, maxSizeBytes, expiresAt}
void scripePresign(const OpContext& ctx, OpDone done);
// spec {baseUrl, apiKey, apiVersion, source, contentType, maxSizeBytes?}
//   -> {uploadId, uploadUrl, contentType, maxSizeBytes, expiresAt, bytes, md5}
void scripeUploadFile(const OpContext& ctx, OpDone done);

}  // namespace uplift::vendors
