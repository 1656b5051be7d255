// The three generic presigned-upload operations: one PUT, one S3 POST form, and the parts
// of a multipart upload. Each runs as one Job; `done` is called exactly once, on an engine
// thread, with err.code empty on success.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine.h"
#include "http.h"
#include "source.h"

namespace uplift {

struct PutSpec {
  std::string url;
  std::string method = "PUT";
  Headers headers;
  BodyRange body;
  std::vector<long> expectStatus;  // empty = any 2xx
  bool computeMd5 = true;
};

struct PutResult {
  long status = 0;
  std::string etag;  // as sent by the server, quotes kept
  uint64_t bytes = 0;
  std::string md5;   // hex MD5 of the bytes sent ("" when not computed)
  Headers headers;
  std::string body;
  int attempts = 0;
};

struct FormSpec {
  std::string url;
  FormBody form;
  Headers headers;
  std::vector<long> expectStatus;  // empty = any 2xx
  bool computeMd5 = true;
};

struct FormResult {
  long status = 0;
  uint64_t bytes = 0;
  std::string md5;
  std::string location;  // Location header or <Location> of the answer, when given
  std::string body;
  int attempts = 0;
};

struct PartSpec {
  int partNumber = 0;
  std::string url;
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct PartsSpec {
  std::vector<PartSpec> parts;  // any order; sent lowest offset first
  std::shared_ptr<Source> source;
  Headers headers;              // sent on every part PUT
  int concurrency = 4;
  bool computeMd5 = true;       // whole-source MD5
};

struct PartEtag {
  int partNumber = 0;
  std::string etag;  // quotes kept
};

struct PartsResult {
  std::vector<PartEtag> parts;  // sorted by part number
  std::string md5;
  uint64_t bytes = 0;
  int retries = 0;  // attempts beyond the first, over all parts
};

void putPresigned(Engine& engine, const std::shared_ptr<Job>& job, PutSpec spec,
                  std::function<void(const Error&, PutResult&)> done);

void postPresignedForm(Engine& engine, const std::shared_ptr<Job>& job, FormSpec spec,
                       std::function<void(const Error&, FormResult&)> done);

void uploadPresignedParts(Engine& engine, const std::shared_ptr<Job>& job, PartsSpec spec,
                          std::function<void(const Error&, PartsResult&)> done);

}  // namespace uplift
