// Reads the JS spec of each typed op into its core struct (see specs.h).
#include "specs.h"

#include <cmath>
#include <utility>
#include <vector>

#include "vendors/heify.h"
#include "vendors/plaud.h"
#include "vendors/scripe.h"

namespace uplift::addon {

namespace {

// One object of a spec being read; `path` names it in errors ("ticket.parts[2]").
class SpecIn {
 public:
  SpecIn(Napi::Object o, std::string path, KeepAlive* keep, Error* err)
      : o_(o), path_(std::move(path)), keep_(keep), err_(err) {}

  bool ok() const { return err_->code.empty(); }

  // Required unless `optional`; an absent optional field leaves *out as it is.
  void str(const char* key, std::string* out, bool optional = false) {
    Napi::Value v = get(key);
    if (absent(v, key, optional)) return;
    if (!v.IsString()) return fail(key, "a string");
    *out = v.As<Napi::String>().Utf8Value();
  }

  void u64(const char* key, uint64_t* out, bool optional = false) {
    Napi::Value v = get(key);
    if (absent(v, key, optional)) return;
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= 9007199254740991.0 && std::floor(d) == d)) return fail(key, "a whole number >= 0");
    *out = static_cast<uint64_t>(d);
  }

  void i32(const char* key, int* out, bool optional = false) {
    uint64_t n = static_cast<uint64_t>(*out < 0 ? 0 : *out);
    u64(key, &n, optional);
    if (!ok()) return;
    if (n > 2147483647ull) return fail(key, "a whole number below 2^31");
    *out = static_cast<int>(n);
  }

  void source(const char* key, std::shared_ptr<Source>* out) {
    Napi::Value v = get(key);
    if (absent(v, key, false)) return;
    Error e;
    *out = ToSource(v, keep_, &e);
    if (!*out) {
      *err_ = e.code.empty() ? makeError(codes::kInvalidArgument, "cannot read the source") : e;
      err_->field = field(key);
    }
  }

  // fn(SpecIn& item) for each element of the array at key (objects only).
  template <class F>
  void each(const char* key, F fn, bool optional = false) {
    Napi::Value v = get(key);
    if (absent(v, key, optional)) return;
    if (!v.IsArray()) return fail(key, "an array");
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length() && ok(); ++i) {
      Napi::Value item = a.Get(i);
      std::string at = field(key) + "[" + std::to_string(i) + "]";
      if (!item.IsObject() || item.IsArray()) {
        *err_ = makeError(codes::kInvalidArgument, "spec field " + at + " must be an object");
        err_->field = at;
        return;
      }
      SpecIn in(item.As<Napi::Object>(), at, keep_, err_);
      fn(in);
    }
  }

  // fn(SpecIn& child) for the object at key; false when it is absent (and optional).
  template <class F>
  bool object(const char* key, F fn, bool optional = false) {
    Napi::Value v = get(key);
    if (absent(v, key, optional)) return false;
    if (!v.IsObject() || v.IsArray()) {
      fail(key, "an object");
      return false;
    }
    SpecIn in(v.As<Napi::Object>(), field(key), keep_, err_);
    fn(in);
    return ok();
  }

 private:
  Napi::Value get(const char* key) { return ok() ? o_.Get(key) : o_.Env().Undefined(); }

  std::string field(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

  // True when the field is absent (an error unless optional) or an error is already set.
  bool absent(const Napi::Value& v, const char* key, bool optional) {
    if (!ok()) return true;
    if (!v.IsUndefined() && !v.IsNull()) return false;
    if (!optional) fail(key, "present");
    return true;
  }

  void fail(const char* key, const char* what) {
    *err_ = makeError(codes::kInvalidArgument, "spec field " + field(key) + " must be " + what +
                                                   " (the TypeScript layer passes it checked; report this)");
    err_->field = field(key);
  }

  Napi::Object o_;
  std::string path_;
  KeepAlive* keep_;
  Error* err_;
};

void readPartEtags(SpecIn& in, const char* key, std::vector<PartEtag>* out, bool optional) {
  in.each(key, [out](SpecIn& p) {
    PartEtag pe;
    p.i32("partNumber", &pe.partNumber);
    p.str("etag", &pe.etag);
    out->push_back(std::move(pe));
  }, optional);
}

void readPlaudApi(SpecIn& in, vendors::PlaudApi* api) {
  in.str("baseUrl", &api->baseUrl);
  in.str("token", &api->token);
}

void readPlaudTicket(SpecIn& in, vendors::PlaudTicketSpec* t) {
  in.str("fileId", &t->fileId);
  in.str("uploadId", &t->uploadId);
  in.u64("chunkSizeBytes", &t->chunkSizeBytes);
  in.each("parts", [t](SpecIn& p) {
    vendors::PartUrl u;
    p.i32("partNumber", &u.partNumber);
    p.str("url", &u.url);
    t->parts.push_back(std::move(u));
  });
}

BoundOp plaudPresign(SpecIn& in) {
  vendors::PlaudPresignSpec s;
  readPlaudApi(in, &s.api);
  in.u64("fileSize", &s.fileSize);
  in.str("fileType", &s.fileType);
  return bindVendorOp(&vendors::plaudPresign, std::move(s));
}

BoundOp plaudUpload(SpecIn& in) {
  vendors::PlaudUploadSpec s;
  in.source("source", &s.source);
  in.object("ticket", [&s](SpecIn& t) { readPlaudTicket(t, &s.ticket); });
  readPartEtags(in, "storedParts", &s.storedParts, true);
  in.i32("concurrency", &s.concurrency, true);
  return bindVendorOp(&vendors::plaudUpload, std::move(s));
}

BoundOp plaudComplete(SpecIn& in) {
  vendors::PlaudCompleteSpec s;
  readPlaudApi(in, &s.api);
  in.str("fileId", &s.fileId);
  in.str("uploadId", &s.uploadId);
  readPartEtags(in, "parts", &s.parts, false);
  in.str("fileType", &s.fileType);
  in.str("md5", &s.md5);
  return bindVendorOp(&vendors::plaudComplete, std::move(s));
}

BoundOp plaudUploadFile(SpecIn& in) {
  vendors::PlaudUploadFileSpec s;
  readPlaudApi(in, &s.api);
  in.source("source", &s.source);
  in.str("fileType", &s.fileType);
  in.i32("concurrency", &s.concurrency, true);
  s.resume = in.object("ticket", [&s](SpecIn& t) { readPlaudTicket(t, &s.ticket); }, true);
  readPartEtags(in, "storedParts", &s.storedParts, true);
  return bindVendorOp(&vendors::plaudUploadFile, std::move(s));
}

void readScripePresign(SpecIn& in, vendors::ScripePresignSpec* s) {
  in.str("baseUrl", &s->api.baseUrl);
  in.str("apiKey", &s->api.apiKey);
  in.str("apiVersion", &s->api.apiVersion, true);
  in.str("contentType", &s->contentType);
  in.u64("maxSizeBytes", &s->maxSizeBytes, true);
}

BoundOp scripePresign(SpecIn& in) {
  vendors::ScripePresignSpec s;
  readScripePresign(in, &s);
  return bindVendorOp(&vendors::scripePresign, std::move(s));
}

BoundOp scripeUploadFile(SpecIn& in) {
  vendors::ScripeUploadFileSpec s;
  readScripePresign(in, &s.presign);
  in.source("source", &s.source);
  return bindVendorOp(&vendors::scripeUploadFile, std::move(s));
}

void readHeifyIds(SpecIn& in, vendors::HeifyIds* ids) {
  in.str("configurationId", &ids->configurationId);
  in.str("evaluatorId", &ids->evaluatorId, true);
  in.str("participantId", &ids->participantId, true);
}

void readHeifyPresign(SpecIn& in, vendors::HeifyPresignSpec* s) {
  in.str("baseUrl", &s->api.baseUrl);
  in.str("apiKey", &s->api.apiKey);
  readHeifyIds(in, &s->ids);
  in.str("name", &s->name, true);
}

BoundOp heifyPresign(SpecIn& in) {
  vendors::HeifyPresignSpec s;
  readHeifyPresign(in, &s);
  return bindVendorOp(&vendors::heifyPresign, std::move(s));
}

BoundOp heifyUploadFile(SpecIn& in) {
  vendors::HeifyUploadFileSpec s;
  readHeifyPresign(in, &s.presign);
  in.source("source", &s.source);
  in.str("contentType", &s.contentType, true);
  return bindVendorOp(&vendors::heifyUploadFile, std::move(s));
}

BoundOp heifyUpload(SpecIn& in) {
  vendors::HeifyUploadSpec s;
  in.str("uploadUrl", &s.uploadUrl);
  readHeifyIds(in, &s.ids);
  in.source("source", &s.source);
  in.str("contentType", &s.contentType, true);
  return bindVendorOp(&vendors::heifyUpload, std::move(s));
}

struct TypedOp {
  const char* name;
  BoundOp (*read)(SpecIn& in);
};

const TypedOp kTypedOps[] = {
    {"plaud.presign", &plaudPresign},
    {"plaud.upload", &plaudUpload},
    {"plaud.complete", &plaudComplete},
    {"plaud.uploadFile", &plaudUploadFile},
    {"scripe.presign", &scripePresign},
    {"scripe.uploadFile", &scripeUploadFile},
    {"heify.presign", &heifyPresign},
    {"heify.uploadFile", &heifyUploadFile},
    {"heify.upload", &heifyUpload},
};

}  // namespace

BoundOp ReadTypedOp(const std::string& op, const Napi::Object& spec, KeepAlive* keep, bool* known, Error* err) {
  *known = false;
  for (const auto& t : kTypedOps) {
    if (op != t.name) continue;
    *known = true;
    SpecIn in(spec, "", keep, err);
    BoundOp bound = t.read(in);
    return err->code.empty() ? bound : BoundOp();
  }
  return BoundOp();
}

}  // namespace uplift::addon
