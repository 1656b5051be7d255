// Fuzz target: parseJson (every vendor answer goes through it), toJsonString, the typed
// member getters and urlEncode. Input: any bytes, parsed as one JSON text.
// Invariants: a failed parse says why; a parsed document (up to 256 deep, numbers finite)
// serialises, re-parses and keeps its shape; getters agree with the value's type; urlEncode
// emits only unreserved characters and %XX escapes that decode back to the input. Deeper
// documents (seeds of 100,000 brackets) must parse without exhausting the stack.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "fuzz_util.h"

using namespace uplift;

namespace {

bool sameShape(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.GetType() != b.GetType()) return false;
  if (a.IsString()) {
    return a.GetStringLength() == b.GetStringLength() &&
           std::memcmp(a.GetString(), b.GetString(), a.GetStringLength()) == 0;
  }
  if (a.IsNumber()) {
    if (a.IsUint64() && b.IsUint64()) return a.GetUint64() == b.GetUint64();
    if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
    double x = a.GetDouble(), y = b.GetDouble();
    // The default (fast) number parsing may land one ulp away from the written value.
    return x == y || std::fabs(x - y) <= 1e-12 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!sameShape(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (auto ia = a.MemberBegin(), ib = b.MemberBegin(); ia != a.MemberEnd(); ++ia, ++ib) {
      if (!sameShape(ia->name, ib->name) || !sameShape(ia->value, ib->value)) return false;
    }
    return true;
  }
  return true;  // null, true, false: the type says it all
}

// Nesting depth of a valid JSON text (strings skipped); the recursive checks below and the
// writer run only on documents of bounded depth.
size_t depthOf(const std::string& text) {
  size_t depth = 0, most = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\') ++i;
      else if (c == '"') inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      most = std::max(most, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return most;
}

bool allFinite(const rapidjson::Value& v) {
  if (v.IsDouble()) return std::isfinite(v.GetDouble());
  if (v.IsArray()) {
    for (const auto& e : v.GetArray()) {
      if (!allFinite(e)) return false;
    }
  }
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (!allFinite(m.value)) return false;
    }
  }
  return true;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void checkUrlEncode(const std::string& s) {
  std::string enc = urlEncode(s);
  std::string dec;
  for (size_t i = 0; i < enc.size(); ++i) {
    char c = enc[i];
    if (c == '%') {
      FUZZ_CHECK(i + 2 < enc.size());
      int hi = hexValue(enc[i + 1]), lo = hexValue(enc[i + 2]);
      FUZZ_CHECK(hi >= 0 && lo >= 0);
      dec.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("-_.~", c) != nullptr);
      dec.push_back(c);
    }
  }
  FUZZ_CHECK(dec == s);
}

void checkGetters(const rapidjson::Value& obj) {
  for (const auto& m : obj.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (name.find('\0') != std::string::npos) continue;  // lookups take C strings
    const rapidjson::Value* v = member(obj, name.c_str());
    FUZZ_CHECK(v != nullptr);  // the first member of that name
    std::string s;
    if (getString(obj, name.c_str(), &s)) {
      FUZZ_CHECK(v->IsString() && s.size() == v->GetStringLength());
      FUZZ_CHECK(stringOr(obj, name.c_str(), "x") == s);
      checkUrlEncode(s);
    } else {
      FUZZ_CHECK(!v->IsString());
      FUZZ_CHECK(stringOr(obj, name.c_str(), "dflt") == "dflt");
    }
    uint64_t u = 0;
    if (getUint64(obj, name.c_str(), &u)) {
      FUZZ_CHECK(v->IsNumber());
      FUZZ_CHECK(v->IsUint64() ? u == v->GetUint64() : static_cast<double>(u) == v->GetDouble());
      FUZZ_CHECK(uint64Or(obj, name.c_str(), u + 1) == u);
    } else {
      FUZZ_CHECK(!v->IsUint64());
    }
    int n = 0;
    if (getInt(obj, name.c_str(), &n)) {
      FUZZ_CHECK(v->IsInt() && n == v->GetInt());
    } else {
      FUZZ_CHECK(!v->IsInt());
    }
  }
  FUZZ_CHECK(member(obj, "\x01no such member\x02") == nullptr || obj.HasMember("\x01no such member\x02"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text = fuzz::asString(data, size);
  Json doc;
  std::string why;
  if (!parseJson(text, &doc, &why)) {
    FUZZ_CHECK(!why.empty());
    return 0;
  }
  if (doc.IsObject()) checkGetters(doc);
  if (doc.IsString()) checkUrlEncode(std::string(doc.GetString(), doc.GetStringLength()));
  if (depthOf(text) > 256) return 0;
  std::string once = toJsonString(doc);
  // RapidJSON 1.1.0 reads some out-of-range numbers (3e308) as infinity, which its writer
  // refuses (the output stops there); the readers' getters never return one.
  if (!allFinite(doc)) return 0;
  Json again;
  FUZZ_CHECK(parseJson(once, &again, &why));
  FUZZ_CHECK(sameShape(doc, again));
  return 0;
}
