// RapidJSON helpers.
#include "json.h"

#include <rapidjson/error/en.h>

namespace uplift {

bool parseJson(const std::string& text, Json* out, std::string* why) {
  // Iterative: answers come from vendors (up to 1 MiB), and the recursive parser overflows
  // an 8 MiB thread stack on a few hundred thousand nested brackets.
  out->Parse<rapidjson::kParseIterativeFlag>(text.c_str(), text.size());
  if (out->HasParseError()) {
    *why = std::string(rapidjson::GetParseError_En(out->GetParseError())) + " at offset " +
           std::to_string(out->GetErrorOffset());
    return false;
  }
  return true;
}

std::string toJsonString(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

bool getString(const rapidjson::Value& obj, const char* name, std::string* out) {
  const rapidjson::Value* v = member(obj, name);
  if (!v || !v->IsString()) return false;
  out->assign(v->GetString(), v->GetStringLength());
  return true;
}

bool getUint64(const rapidjson::Value& obj, const char* name, uint64_t* out) {
  const rapidjson::Value* v = member(obj, name);
  if (!v) return false;
  if (v->IsUint64()) {
    *out = v->GetUint64();
    return true;
  }
  if (v->IsDouble() && v->GetDouble() >= 0 && v->GetDouble() < 9007199254740992.0 &&
      v->GetDouble() == static_cast<double>(static_cast<uint64_t>(v->GetDouble()))) {
    *out = static_cast<uint64_t>(v->GetDouble());
    return true;
  }
  return false;
}

bool getInt(const rapidjson::Value& obj, const char* name, int* out) {
  const rapidjson::Value* v = member(obj, name);
  if (!v || !v->IsInt()) return false;
  *out = v->GetInt();
  return true;
}

std::string stringOr(const rapidjson::Value& obj, const char* name, const std::string& dflt) {
  std::string s;
  return getString(obj, name, &s) ? s : dflt;
}

uint64_t uint64Or(const rapidjson::Value& obj, const char* name, uint64_t dflt) {
  uint64_t v;
  return getUint64(obj, name, &v) ? v : dflt;
}

void put(Json& doc, rapidjson::Value& obj, const char* name, const std::string& v) {
  obj.AddMember(rapidjson::Value(name, doc.GetAllocator()).Move(),
                rapidjson::Value(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), doc.GetAllocator()).Move(),
                doc.GetAllocator());
}

void put(Json& doc, rapidjson::Value& obj, const char* name, uint64_t v) {
  obj.AddMember(rapidjson::Value(name, doc.GetAllocator()).Move(), rapidjson::Value(v).Move(),
                doc.GetAllocator());
}

void put(Json& doc, rapidjson::Value& obj, const char* name, int v) {
  obj.AddMember(rapidjson::Value(name, doc.GetAllocator()).Move(), rapidjson::Value(v).Move(),
                doc.GetAllocator());
}

void putNull(Json& doc, rapidjson::Value& obj, const char* name) {
  obj.AddMember(rapidjson::Value(name, doc.GetAllocator()).Move(), rapidjson::Value().Move(),
                doc.GetAllocator());
}

std::string urlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace uplift
