// JSON calls to a vendor's API (presign, session start, complete): send, retry the
// retryable outcomes (in the engine), then map the vendor's error answers to typed errors
// and parse the JSON answer.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "../engine.h"
#include "../ops.h"
#include "../json.h"

namespace uplift::vendors {

struct VendorRequest {
  const char* vendor = "";  // for messages: "Plaud", "Scripe", ...
  const char* step = "";    // for messages: "presign", "complete", ...
  std::string method = "POST";
  std::string url;
  Headers headers;          // auth headers included
  std::string jsonBody;     // sent with Content-Type: application/json when not empty
  bool isForm = false;      // multipart body instead of JSON
  FormBody form;
  size_t maxResponseBody = 1 << 20;
  bool slowAnswer = false;  // a complete step: see HttpRequest::slowAnswer
};

using JsonDone = std::function<void(const Error& err, JsonPtr body, const HttpResponse& resp)>;

// done gets a parsed JSON object on success (2xx with a JSON object body), else an error
// whose code is ERR_UPLIFT_AUTH (401/403), ERR_UPLIFT_RATE_LIMITED (429), ERR_UPLIFT_VENDOR
// (other statuses; vendorCode from the body), ERR_UPLIFT_BAD_RESPONSE (not JSON) or a
// transport error.
void callJson(Engine& engine, const std::shared_ptr<Job>& job, VendorRequest req, JsonDone done);

// Maps a failed vendor API exchange to ERR_UPLIFT_AUTH / RATE_LIMITED / VENDOR with the
// vendor's code and message from the body; transport errors pass through unchanged.
Error mapVendorError(const std::string& vendor, const std::string& step, const Error& e,
                     const HttpResponse& resp);

// Reads the vendor's own error code and message from an error body, whatever its shape
// ({error:{code,message}}, {errors:[{code,msg}]}, {error:[{error_code,message}]},
// {code,message,s3_code}, {message}).
void vendorErrorFields(const std::string& body, std::string* code, std::string* message);

// A typed error for a JSON answer that lacks a field the flow needs.
Error badResponse(const char* vendor, const char* step, const std::string& what);

// "Presign again once when the URL expired" (Scripe, Heify, Eka): runs attempt(false); when
// it ends in ERR_UPLIFT_URL_EXPIRED and the job is not cancelled, runs attempt(true) once
// (the attempt presigns again and re-sends); an expiry of the second attempt gets `note`
// appended to its message. done is called once.
using Attempt = std::function<void(bool again, OpDone done)>;
void presignAgainOnce(const std::shared_ptr<Job>& job, Attempt attempt, std::string note, OpDone done);

// Calls the done a flow's run holds for its current attempt, once: it is moved out first, so
// a later call does nothing and the run no longer holds what done holds (often the run itself
// through presignAgainOnce: no cycle is left).
void endAttempt(OpDone& held, const Error& e, JsonPtr out);

// The header names (lowercase) a SigV4 presigned URL signs: its X-Amz-SignedHeaders query
// parameter, percent-decoded and split at ';'. *found is false when the URL has none.
std::vector<std::string> signedHeaderNames(const std::string& url, bool* found);

// Joins a base URL and a path without doubling the slash.
std::string joinUrl(const std::string& base, const std::string& path);

}  // namespace uplift::vendors
