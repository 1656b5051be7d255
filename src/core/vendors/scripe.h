// Scripe uploads (vendor-docs/scripe-uploads.md): POST /v1/uploads mints one presigned PUT
// that signs the Content-Type and carries a size cap; the PUT sends exactly that type and
// no Authorization.
// Each op takes a typed spec the binding reads once (lib/native.ts declares the same shapes);
// defaults come from facts.h. Results are JSON objects.
#pragma once

#include <memory>
#include <string>

#include "../ops.h"
#include "facts.h"

namespace uplift::vendors {

// The Scripe API: base URL, API key and the Scripe-Api-Version header.
struct ScripeApi {
  std::string baseUrl;
  std::string apiKey;
  std::string apiVersion = facts::kScripeDefaultApiVersion;
};

struct ScripePresignSpec {
  ScripeApi api;
  std::string contentType;
  uint64_t maxSizeBytes = 0;  // 0: not sent (Scripe applies the type's cap)
};

struct ScripeUploadFileSpec {
  ScripePresignSpec presign;
  std::shared_ptr<Source> source;
};

// -> {id, uploadUrl, method, contentType, maxSizeBytes, expiresAt}
void scripePresign(const OpContext& ctx, const ScripePresignSpec& spec, OpDone done);
// -> {uploadId, uploadUrl, contentType, maxSizeBytes, expiresAt, bytes, md5}: presign, then
// the PUT; an expired URL is presigned again once.
void scripeUploadFile(const OpContext& ctx, const ScripeUploadFileSpec& spec, OpDone done);

}  // namespace uplift::vendors
