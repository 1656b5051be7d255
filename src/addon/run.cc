// run(op, spec, onProgress) -> { promise, cancel }: the named core operations (vendor flows).
// A typed op's spec is read once into its core struct (specs.h); any other spec becomes a
// RapidJSON document; every {kind:'path'|'buffer'} object in it becomes a
// Source, referred to in the document as {"$source": i}. Results come back as plain objects.
#include "convert.h"
#include "engine_wrap.h"
#include "job_bridge.h"
#include "ops.h"
#include "specs.h"

namespace uplift::addon {

namespace {

struct SpecReader {
  KeepAlive* keep;
  std::vector<std::shared_ptr<Source>>* sources;
  Error err;

  bool isSource(const Napi::Object& o) {
    Napi::Value kind = o.Get("kind");
    if (!kind.IsString()) return false;
    std::string k = kind.As<Napi::String>().Utf8Value();
    return (k == "path" && o.Get("path").IsString()) || (k == "buffer" && o.Get("buffer").IsTypedArray()) ||
           (k == "stream" && o.Get("handle").IsObject()) || (k == "url" && o.Get("url").IsString());
  }

  rapidjson::Value read(const Napi::Value& v, Json& doc, int depth) {
    if (depth > 32 || !err.code.empty()) return rapidjson::Value();
    if (v.IsString()) {
      std::string s = v.As<Napi::String>().Utf8Value();
      return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), doc.GetAllocator());
    }
    if (v.IsNumber()) {
      double d = v.As<Napi::Number>().DoubleValue();
      if (d >= 0 && d < 9007199254740992.0 && d == static_cast<double>(static_cast<uint64_t>(d))) {
        return rapidjson::Value(static_cast<uint64_t>(d));
      }
      if (d < 0 && d > -9007199254740992.0 && d == static_cast<double>(static_cast<int64_t>(d))) {
        return rapidjson::Value(static_cast<int64_t>(d));
      }
      return rapidjson::Value(d);
    }
    if (v.IsBoolean()) return rapidjson::Value(v.As<Napi::Boolean>().Value());
    if (v.IsArray()) {
      Napi::Array a = v.As<Napi::Array>();
      rapidjson::Value out(rapidjson::kArrayType);
      for (uint32_t i = 0; i < a.Length(); ++i) out.PushBack(read(a.Get(i), doc, depth + 1), doc.GetAllocator());
      return out;
    }
    if (v.IsObject() && !v.IsFunction()) {
      Napi::Object o = v.As<Napi::Object>();
      rapidjson::Value out(rapidjson::kObjectType);
      if (isSource(o)) {
        std::shared_ptr<Source> s = ToSource(o, keep, &err);
        if (!s) return rapidjson::Value();
        sources->push_back(std::move(s));
        out.AddMember("$source", rapidjson::Value(static_cast<uint64_t>(sources->size() - 1)), doc.GetAllocator());
        return out;
      }
      Napi::Array keys = o.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        std::string k = keys.Get(i).ToString().Utf8Value();
        Napi::Value child = o.Get(k);
        if (child.IsUndefined() || child.IsFunction()) continue;
        out.AddMember(rapidjson::Value(k.c_str(), static_cast<rapidjson::SizeType>(k.size()), doc.GetAllocator()).Move(),
                      read(child, doc, depth + 1), doc.GetAllocator());
      }
      return out;
    }
    return rapidjson::Value();  // null, undefined
  }
};

Napi::Value JsonToJs(Napi::Env env, const rapidjson::Value& v) {
  if (v.IsString()) return Napi::String::New(env, v.GetString(), v.GetStringLength());
  if (v.IsBool()) return Napi::Boolean::New(env, v.GetBool());
  if (v.IsNumber()) return Napi::Number::New(env, v.GetDouble());
  if (v.IsArray()) {
    Napi::Array a = Napi::Array::New(env, v.Size());
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) a.Set(i, JsonToJs(env, v[i]));
    return a;
  }
  if (v.IsObject()) {
    Napi::Object o = Napi::Object::New(env);
    for (const auto& m : v.GetObject()) o.Set(m.name.GetString(), JsonToJs(env, m.value));
    return o;
  }
  return env.Null();
}

}  // namespace

Napi::Value RunOp(Napi::Env env, const std::shared_ptr<Engine>& engine, const std::string& op,
                  Napi::Object spec, Napi::Value onProgress) {
  KeepAlive keep;
  OpContext ctx;
  ctx.engine = engine.get();
  auto doc = std::make_shared<Json>(rapidjson::kObjectType);
  ctx.spec = doc;
  bool typed = false;
  Error err;
  BoundOp fn = ReadTypedOp(op, spec, &keep, &typed, &err);  // typed ops: the spec read once
  if (!typed) {                                             // the others: a JSON document
    OpFn jsonFn = findOp(op);
    if (!jsonFn) return RejectedHandle(env, makeError(codes::kInvalidArgument, "unknown operation '" + op + "'"));
    SpecReader reader{&keep, &ctx.sources, Error()};
    rapidjson::Value root = reader.read(spec, *doc, 0);
    err = reader.err;
    static_cast<rapidjson::Value&>(*doc).Swap(root);  // strings live in doc's allocator
    fn = jsonFn;
  }
  if (!err.code.empty()) return RejectedHandle(env, err);

  StartedJob s = StartJob(env, engine, spec, onProgress, std::move(keep));
  if (!s.job) return JobBridge::Handle(env, s.promise, nullptr);
  ctx.job = s.job;
  std::shared_ptr<JobBridge> bridge = s.bridge;
  std::shared_ptr<Job> job = s.job;
  fn(ctx, [bridge, job](const Error& e, JsonPtr result) {
    job->maybeEmitProgress(true);
    if (!e.code.empty() || !result) {
      Error out = e;
      if (out.code.empty()) out = makeError(codes::kInternal, "the operation ended without a result");
      bridge->finish(out, nullptr);
      return;
    }
    bridge->finish(Error(), [result](Napi::Env env) { return JsonToJs(env, *result); });
  });
  return JobBridge::Handle(env, s.promise, s.job, s.bridge);
}

}  // namespace uplift::addon
