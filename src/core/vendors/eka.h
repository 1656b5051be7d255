// Eka Care EkaScribe v2 (vendor-docs/eka-ekascribe-v2-file-upload.md + README facts):
// presign once per transaction (Bearer), then one S3 POST form per file into folderPath
// with every policy field sent back, key = folderPath + name, the file field last, 204
// expected. A policy that expired mid-way is re-presigned once for the same txn_id and only
// the files not yet stored are sent again.
// Each op takes a typed spec the binding reads once (lib/native.ts declares the same shapes);
// defaults come from facts.h. Results are JSON objects.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../ops.h"
#include "facts.h"
#include "readers.h"

namespace uplift::vendors {

struct EkaApi {
  std::string baseUrl;
  std::string token;
  std::string extraDataJson;  // a JSON object sent as the presign's extraData; empty: none
};

struct EkaFileSpec {
  std::shared_ptr<Source> source;
  std::string name, contentType;
};

struct EkaPresignSpec {
  EkaApi api;
  std::string txnId;
};

struct EkaUploadSpec {
  EkaApi api;
  EkaTicket ticket;  // presign's answer, given back
  std::vector<EkaFileSpec> files;
  int concurrency = static_cast<int>(facts::kEkaDefaultConcurrency);
};

struct EkaUploadFilesSpec {
  EkaApi api;
  std::string txnId;
  std::vector<EkaFileSpec> files;
  int concurrency = static_cast<int>(facts::kEkaDefaultConcurrency);
};

// -> {url, fields, folderPath, txnId}
void ekaPresign(const OpContext& ctx, const EkaPresignSpec& spec, OpDone done);
// -> {files:[{key, size, md5}]}
void ekaUpload(const OpContext& ctx, const EkaUploadSpec& spec, OpDone done);
// -> {txnId, folderPath, files:[{key, size, md5}]}
void ekaUploadFiles(const OpContext& ctx, const EkaUploadFilesSpec& spec, OpDone done);

}  // namespace uplift::vendors
