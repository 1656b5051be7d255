// The operation table.
#include "ops.h"

#include <cstring>

#include "vendors/eka.h"
#include "vendors/kore.h"

namespace uplift {

namespace {

template <OpFn F>
void vendorOp(const OpContext& ctx, OpDone done) {
  F(ctx, vendorDone(std::move(done)));
}

struct OpEntry {
  const char* name;
  OpFn fn;
};

const OpEntry kOps[] = {
    {"eka.presign", &vendorOp<&vendors::ekaPresign>},
    {"eka.upload", &vendorOp<&vendors::ekaUpload>},
    {"eka.uploadFiles", &vendorOp<&vendors::ekaUploadFiles>},
    {"kore.presign", &vendorOp<&vendors::korePresign>},
    {"kore.upload", &vendorOp<&vendors::koreUpload>},
    {"kore.complete", &vendorOp<&vendors::koreComplete>},
    {"kore.uploadFile", &vendorOp<&vendors::koreUploadFile>},
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

// A vendor flow sends only to URLs built from the caller's base URL (checked by the
// TypeScript layer: absolute http or https) and to URLs and ids taken from the vendor's
// answers. So when libcurl refuses a URL there (a part URL with a file:// scheme, say), the
// vendor's answer is to blame: ERR_UPLIFT_BAD_RESPONSE, not the caller's INVALID_ARGUMENT.
OpDone vendorDone(OpDone done) {
  return [done = std::move(done)](const Error& e, JsonPtr result) {
    if (e.code != codes::kInvalidArgument || e.curlCode == 0) return done(e, std::move(result));
    Error b = e;
    b.code = codes::kBadResponse;
    b.retryable = false;
    b.message = "the vendor's answer gave a URL that cannot be used (" + e.message + ")";
    done(b, nullptr);
  };
}

int clampConcurrency(int c) { return c < 1 ? 1 : (c > 64 ? 64 : c); }

int concurrencyOf(const rapidjson::Value& spec, int dflt) {
  int c = dflt;
  if (!getInt(spec, "concurrency", &c) || c < 1) c = dflt;
  return c > 64 ? 64 : c;
}

}  // namespace uplift
