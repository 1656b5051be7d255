// postPresignedForm(spec, onProgress) -> { promise, cancel }.
// spec: { url, fields: [[name, value]], fileField, fileName, fileContentType?, source,
//         fieldsAfterFile?: [[name, value]], headers?, expectStatus?, computeMd5?, retry?, timeouts? }
#include "convert.h"
#include "engine_wrap.h"
#include "job_bridge.h"
#include "primitives.h"

namespace uplift::addon {

namespace {
std::vector<FormField> ToFields(const Napi::Value& v) {
  std::vector<FormField> out;
  for (auto& kv : ToHeaders(v)) out.push_back(FormField{kv.first, kv.second});
  return out;
}
}  // namespace

Napi::Value PostPresignedForm(Napi::Env env, const std::shared_ptr<Engine>& engine,
                              Napi::Object spec, Napi::Value onProgress) {
  KeepAlive keep;
  Error err;
  std::shared_ptr<Source> source = ToSource(spec.Get("source"), &keep, &err);
  if (!source) return RejectedHandle(env, err);
  FormSpec form;
  form.url = GetString(spec, "url");
  form.headers = ToHeaders(spec.Get("headers"));
  form.expectStatus = ToStatuses(spec.Get("expectStatus"));
  form.computeMd5 = GetBool(spec, "computeMd5", true);
  form.form.fields = ToFields(spec.Get("fields"));
  form.form.fieldsAfterFile = ToFields(spec.Get("fieldsAfterFile"));
  form.form.fileField = GetString(spec, "fileField", "file");
  form.form.fileName = GetString(spec, "fileName", "file");
  form.form.fileContentType = GetString(spec, "fileContentType");
  form.form.file = BodyRange{source, 0, source->size()};

  StartedJob s = StartJob(env, engine, spec, onProgress, std::move(keep));
  if (!s.job) return JobBridge::Handle(env, s.promise, nullptr);
  std::shared_ptr<JobBridge> bridge = s.bridge;
  uplift::postPresignedForm(*engine, s.job, std::move(form), [bridge](const Error& e, FormResult& r) {
    FormResult copy = r;
    bridge->finish(e, [copy](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("status", Napi::Number::New(env, static_cast<double>(copy.status)));
      o.Set("bytes", Napi::Number::New(env, static_cast<double>(copy.bytes)));
      o.Set("md5", copy.md5);
      if (!copy.location.empty()) o.Set("location", copy.location);
      o.Set("attempts", Napi::Number::New(env, copy.attempts));
      o.Set("body", copy.body);
      return o;
    });
  });
  return JobBridge::Handle(env, s.promise, s.job, s.bridge);
}

}  // namespace uplift::addon
