// The operation table.
#include "ops.h"

#include <cstring>

#include "vendors/eka.h"
#include "vendors/heify.h"
#include "vendors/kore.h"
#include "vendors/plaud.h"
#include "vendors/scripe.h"

namespace uplift {

namespace {
struct OpEntry {
  const char* name;
  OpFn fn;
};

const OpEntry kOps[] = {
    {"eka.presign", &vendors::ekaPresign},
    {"eka.upload", &vendors::ekaUpload},
    {"eka.uploadFiles", &vendors::ekaUploadFiles},
    {"kore.presign", &vendors::korePresign},
    {"kore.upload", &vendors::koreUpload},
    {"kore.complete", &vendors::koreComplete},
    {"kore.uploadFile", &vendors::koreUploadFile},
    {"plaud.presign", &vendors::plaudPresign},
    {"plaud.complete", &vendors::plaudComplete},
    {"plaud.uploadFile", &vendors::plaudUploadFile},
    {"scripe.presign", &vendors::scripePresign},
    {"scripe.uploadFile", &vendors::scripeUploadFile},
    {"heify.presign", &vendors::heifyPresign},
    {"heify.uploadFile", &vendors::heifyUploadFile},
    {"heify.upload", &vendors::heifyUpload},
};
}  // namespace

OpFn findOp(const std::string& name) {
  for (const auto& e : kOps) {
    if (name == e.name) return e.fn;
  }
  return nullptr;
}

std::shared_ptr<Source> sourceAt(const OpContext& ctx, const rapidjson::Value& ref, Error* err) {
  uint64_t i = 0;
  if (!getUint64(ref, "$source", &i) || i >= ctx.sources.size() || !ctx.sources[i]) {
    *err = makeError(codes::kInvalidArgument, "the spec names a source that was not given");
    return nullptr;
  }
  return ctx.sources[static_cast<size_t>(i)];
}

int concurrencyOf(const rapidjson::Value& spec, int dflt) {
  int c = dflt;
  if (!getInt(spec, "concurrency", &c) || c < 1) c = dflt;
  return c > 64 ? 64 : c;
}

}  // namespace uplift
