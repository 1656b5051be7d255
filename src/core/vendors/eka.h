// Eka Care EkaScribe v2 (vendor-docs/eka-ekascribe-v2-file-upload.md + README facts):
// presign once per transaction (Bearer), then one S3 POST form per file into folderPath
// with every policy field sent back, key = folderPath + name, the file field last, 204
// expected. A policy that expired mid-way is re-presigned once for the same txn_id and only
// the files not yet stored are sent again.
#pragma once

#include "../ops.h"

namespace uplift::vendors {

// spec {baseUrl, token, txnId, extraDataJson?} -> {url, fields, folderPath, txnId}
void ekaPresign(const OpContext& ctx, OpDone done);
// spec {baseUrl, token, ticket:{url, fields, folderPath, txnId}, extraDataJson?,
//       files:[{source, name, contentType}], concurrency} -> {files:[{key, size, md5}]}
void ekaUpload(const OpContext& ctx, OpDone done);
// spec {baseUrl, token, txnId, extraDataJson?, files, concurrency}
//   -> {txnId, folderPath, files:[{key, size, md5}]}
void ekaUploadFiles(const OpContext& ctx, OpDone done);

}  // namespace uplift::vendors
