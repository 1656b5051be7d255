// Heify (vendor-docs/heify-request-upload-url.md): request an upload URL (5 minutes), then
// PUT with Content-Type and exactly the x-amz-meta-* headers the URL's X-Amz-SignedHeaders
// lists, valued from the presign answer (never an unsigned x-amz-* header).
// Each op takes a typed spec the binding reads once (lib/native.ts declares the same shapes).
// Results are JSON objects.
#pragma once

#include <memory>
#include <string>

#include "../ops.h"

namespace uplift::vendors {

struct HeifyApi {
  std::string baseUrl;
  std::string apiKey;
};

// The ids an upload is tagged with (empty: not given / not in the answer).
struct HeifyIds {
  std::string configurationId, evaluatorId, participantId;
};

struct HeifyPresignSpec {
  HeifyApi api;
  HeifyIds ids;
  std::string name;  // empty: not sent
};

struct HeifyUploadFileSpec {
  HeifyPresignSpec presign;
  std::shared_ptr<Source> source;
  std::string contentType = "application/octet-stream";
};

// A presign answer given back to upload(): the URL and the ids its headers are valued from.
struct HeifyUploadSpec {
  std::string uploadUrl;
  HeifyIds ids;
  std::shared_ptr<Source> source;
  std::string contentType = "application/octet-stream";
};

// -> {transcriptionId, uploadUrl, configurationId, evaluatorId, participantId, name}
void heifyPresign(const OpContext& ctx, const HeifyPresignSpec& spec, OpDone done);
// -> presign's result + {bytes, md5}; an expired URL is requested again once
void heifyUploadFile(const OpContext& ctx, const HeifyUploadFileSpec& spec, OpDone done);
// -> {status, etag, bytes, md5}; a signed header without a value: ERR_UPLIFT_INVALID_ARGUMENT
void heifyUpload(const OpContext& ctx, const HeifyUploadSpec& spec, OpDone done);

}  // namespace uplift::vendors
