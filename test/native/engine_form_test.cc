// postPresignedForm against the loopback server: every policy field arrives before the file
// (S3 ignores fields after it), the file part's bytes and headers are right, Location comes
// from the header or the XML answer, a retry re-sends the whole form, policy errors are typed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "primitives.h"
#include "support/fixtures.h"
#include "support/md5.h"
#include "support/test_server.h"
#include "support/wait.h"

namespace uplift::testing {
namespace {

struct FormPart {
  std::string name;      // from Content-Disposition
  std::string filename;  // from Content-Disposition, "" for plain fields
  std::string head;      // the part's header block
  std::string content;
};

std::string dispositionParam(const std::string& head, const std::string& param) {
  std::string key = param + "=\"";
  size_t a = head.find(key);
  if (a == std::string::npos) return "";
  a += key.size();
  return head.substr(a, head.find('"', a) - a);
}

// Splits a multipart/form-data body; empty when it is not well formed.
std::vector<FormPart> parseMultipart(const std::string& body, const std::string& contentType) {
  std::vector<FormPart> out;
  size_t b = contentType.find("boundary=");
  if (b == std::string::npos) return out;
  const std::string delim = "--" + contentType.substr(b + 9);
  if (body.compare(0, delim.size() + 2, delim + "\r\n") != 0) return out;
  size_t pos = delim.size() + 2;
  for (;;) {
    size_t headEnd = body.find("\r\n\r\n", pos);
    size_t next = body.find("\r\n" + delim, pos);
    if (headEnd == std::string::npos || next == std::string::npos || headEnd > next) return {};
    FormPart p;
    p.head = body.substr(pos, headEnd - pos);
    p.content = body.substr(headEnd + 4, next - headEnd - 4);
    p.name = dispositionParam(p.head, "name");
    p.filename = dispositionParam(p.head, "filename");
    out.push_back(std::move(p));
    pos = next + 2 + delim.size();
    if (body.compare(pos, 4, "--\r\n") == 0 || body.compare(pos, 2, "--") == 0) return out;
    if (body.compare(pos, 2, "\r\n") != 0) return {};
    pos += 2;
  }
}

FormSpec s3Form(const std::string& url, BodyRange file) {
  FormSpec spec;
  spec.url = url;
  spec.form.fields = {{"key", "uploads/${filename}"},
                      {"Content-Type", "audio/wav"},
                      {"x-amz-algorithm", "AWS4-HMAC-SHA256"},
                      {"x-amz-credential", "AKIDEXAMPLE/20250101/us-east-1/s3/aws4_request"},
                      {"x-amz-date", "20250101T000000Z"},
                      {"policy", "eyJleHBpcmF0aW9uIjoiMjAzMC0wMS0wMVQwMDowMDowMFoifQ=="},
                      {"x-amz-signature", kSecretSignature}};
  spec.form.fileName = "talk.wav";
  spec.form.fileContentType = "audio/wav";
  spec.form.file = file;
  return spec;
}

Outcome<FormResult> post(Engine& engine, FormSpec spec, int maxAttempts = 3) {
  JobOptions jo = engine.defaultJobOptions();
  jo.retry.maxAttempts = maxAttempts;
  Outcome<FormResult> out;
  postPresignedForm(engine, engine.newJob(jo), std::move(spec), out.callback());
  EXPECT_TRUE(out.wait(30000));
  return out;
}

TEST(EngineForm, FieldsArriveBeforeTheFileAndTheFileBytesAreRight) {
  TestServer server;
  server.enqueue(Reply{204, {{"Location", "http://bucket.local/uploads/talk.wav"}}, ""});
  TempDir dir;
  const std::string data = pseudoRandomBytes(600 * 1024 + 1, 41);
  Error err;
  auto source = FileSource::open(dir.file("talk.wav", data), &err);
  ASSERT_NE(source, nullptr);
  Engine engine(fastEngineOptions());
  FormSpec spec = s3Form(server.url("/bucket"), wholeBody(source));
  spec.form.fieldsAfterFile = {{"trailing", "ignored-by-s3"}};
  auto out = post(engine, spec);
  ASSERT_EQ(out.error().code, "") << out.error().message;
  FormResult r = out.result();
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.md5, md5Hex(data));
  EXPECT_EQ(r.bytes, data.size());
  EXPECT_EQ(r.location, "http://bucket.local/uploads/talk.wav");

  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const Request& q = reqs[0];
  EXPECT_EQ(q.method, "POST");
  EXPECT_EQ(q.target, "/bucket");
  EXPECT_TRUE(q.complete);
  const std::string& ct = q.headers.at("content-type");
  ASSERT_EQ(ct.rfind("multipart/form-data; boundary=", 0), 0u) << ct;
  ASSERT_EQ(q.body.size(), q.bodyBytes) << "the whole form fits in the kept prefix";

  auto parts = parseMultipart(q.body, ct);
  ASSERT_EQ(parts.size(), 9u);
  std::vector<std::string> names;
  for (const auto& p : parts) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"key", "Content-Type", "x-amz-algorithm",
                                             "x-amz-credential", "x-amz-date", "policy",
                                             "x-amz-signature", "file", "trailing"}));
  for (size_t i = 0; i < spec.form.fields.size(); ++i) {
    EXPECT_EQ(parts[i].content, spec.form.fields[i].value) << parts[i].name;
    EXPECT_EQ(parts[i].filename, "");
  }
  const FormPart& file = parts[7];
  EXPECT_EQ(file.filename, "talk.wav");
  EXPECT_NE(file.head.find("Content-Type: audio/wav"), std::string::npos) << file.head;
  EXPECT_EQ(file.content.size(), data.size());
  EXPECT_EQ(md5Hex(file.content), md5Hex(data));
  EXPECT_EQ(parts[8].content, "ignored-by-s3");
  // The prefix before the file part holds every policy field.
  size_t fileAt = q.body.find("name=\"file\"");
  ASSERT_NE(fileAt, std::string::npos);
  for (const auto& f : spec.form.fields) {
    size_t at = q.body.find("name=\"" + f.name + "\"");
    EXPECT_LT(at, fileAt) << f.name;
  }
}

TEST(EngineForm, LocationFromTheXmlAnswer) {
  TestServer server;
  server.enqueue(Reply{201,
                       {{"Content-Type", "application/xml"}},
                       "<?xml version=\"1.0\"?><PostResponse><Location>https://b.s3.local/k.wav"
                       "</Location><Bucket>b</Bucket><Key>k.wav</Key><ETag>\"e\"</ETag>"
                       "</PostResponse>"});
  Engine engine(fastEngineOptions());
  FormSpec spec = s3Form(server.url("/b"), wholeBody(memorySource("RIFF....WAVE")));
  spec.expectStatus = {201};
  auto out = post(engine, spec);
  ASSERT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result().status, 201);
  EXPECT_EQ(out.result().location, "https://b.s3.local/k.wav");
  EXPECT_NE(out.result().body.find("<Key>k.wav</Key>"), std::string::npos);
}

TEST(EngineForm, RetryResendsTheWholeForm) {
  TestServer server;
  server.enqueue(Reply{503, {}, s3ErrorXml("SlowDown", "Please reduce your request rate.", "S")});
  server.enqueue(Reply{204, {}, ""});
  const std::string data = pseudoRandomBytes(300 * 1024, 42);
  Engine engine(fastEngineOptions());
  auto out = post(engine, s3Form(server.url("/b"), wholeBody(memorySource(data))));
  ASSERT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result().attempts, 2);
  EXPECT_EQ(out.result().bytes, data.size());
  EXPECT_EQ(out.result().md5, md5Hex(data));
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  for (const auto& q : reqs) {
    auto parts = parseMultipart(q.body, q.headers.at("content-type"));
    ASSERT_EQ(parts.size(), 8u);
    EXPECT_EQ(parts[7].name, "file");
    EXPECT_EQ(md5Hex(parts[7].content), md5Hex(data));
  }
}

TEST(EngineForm, ExpiredPolicyIsUrlExpired) {
  TestServer server([](const Request&) {
    return Reply{403, {},
                 s3ErrorXml("AccessDenied", "Invalid according to Policy: Policy expired.",
                            "POL-1")};
  });
  Engine engine(fastEngineOptions());
  auto out = post(engine, s3Form(server.url("/b"), wholeBody(memorySource("abc"))));
  Error e = out.error();
  EXPECT_EQ(e.code, codes::kUrlExpired) << e.message;
  EXPECT_EQ(e.requestId, "POL-1");
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.message.find(kSecretSignature), std::string::npos) << e.message;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(EngineForm, EmptyFile) {
  TestServer server;
  server.enqueue(Reply{204, {}, ""});
  Engine engine(fastEngineOptions());
  auto out = post(engine, s3Form(server.url("/b"), wholeBody(memorySource(""))));
  ASSERT_EQ(out.error().code, "") << out.error().message;
  EXPECT_EQ(out.result().md5, "d41d8cd98f00b204e9800998ecf8427e");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  auto parts = parseMultipart(reqs[0].body, reqs[0].headers.at("content-type"));
  ASSERT_EQ(parts.size(), 8u);
  EXPECT_EQ(parts[7].filename, "talk.wav");
  EXPECT_EQ(parts[7].content, "");
}

}  // namespace
}  // namespace uplift::testing
