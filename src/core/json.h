// RapidJSON helpers for the vendor flows: parse answers, read typed fields, build bodies.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <memory>
#include <string>

namespace uplift {

using Json = rapidjson::Document;
using JsonPtr = std::shared_ptr<rapidjson::Document>;

// Parses text; false (and *why set) when it is not valid JSON.
bool parseJson(const std::string& text, Json* out, std::string* why);
std::string toJsonString(const rapidjson::Value& v);

// Typed member lookups on an object; nullptr / false when absent or of another type.
const rapidjson::Value* member(const rapidjson::Value& obj, const char* name);
bool getString(const rapidjson::Value& obj, const char* name, std::string* out);
bool getUint64(const rapidjson::Value& obj, const char* name, uint64_t* out);
bool getInt(const rapidjson::Value& obj, const char* name, int* out);
std::string stringOr(const rapidjson::Value& obj, const char* name, const std::string& dflt = "");
uint64_t uint64Or(const rapidjson::Value& obj, const char* name, uint64_t dflt);

// Adds a member (copying strings) to an object value.
void put(Json& doc, rapidjson::Value& obj, const char* name, const std::string& v);
void put(Json& doc, rapidjson::Value& obj, const char* name, uint64_t v);
void put(Json& doc, rapidjson::Value& obj, const char* name, int v);
void putNull(Json& doc, rapidjson::Value& obj, const char* name);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
std::string urlEncode(const std::string& s);

}  // namespace uplift
