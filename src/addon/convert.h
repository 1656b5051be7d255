// Conversions between JS values (already validated by the TypeScript layer) and core types.
// JS thread only.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "error.h"
#include "http.h"
#include "job.h"
#include "source.h"

namespace uplift::addon {

// Keeps JS objects (Buffers) alive for the lifetime of a job; released on the JS thread.
struct KeepAlive {
  std::vector<Napi::Reference<Napi::Value>> refs;
};

std::string GetString(const Napi::Object& o, const char* key, const std::string& dflt = "");
double GetNumber(const Napi::Object& o, const char* key, double dflt);
bool GetBool(const Napi::Object& o, const char* key, bool dflt);

Headers ToHeaders(const Napi::Value& v);
std::vector<long> ToStatuses(const Napi::Value& v);
JobOptions ToJobOptions(const Napi::Object& spec, const JobOptions& defaults);
// source: { kind: 'path', path } | { kind: 'buffer', buffer }. nullptr with *err on failure.
std::shared_ptr<Source> ToSource(const Napi::Value& v, KeepAlive* keep, Error* err);

Napi::Object ErrorToJs(Napi::Env env, const Error& e);
Napi::Object HeadersToJs(Napi::Env env, const Headers& h);
Napi::Object ProgressToJs(Napi::Env env, const Progress& p);

}  // namespace uplift::addon
