// Pure helpers of the vendor flows: the signed header names of a presigned URL (Heify sends
// exactly those x-amz-meta-* headers) and Plaud's complete answer read with an upper-case
// FileMd5.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "json.h"
#include "vendors/readers.h"
#include "vendors/vendor_call.h"

namespace uplift::vendors {
namespace {

TEST(SignedHeaderNames, ReadsAndDecodesTheList) {
  bool found = false;
  auto names = signedHeaderNames(
      "https://s3.example/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=content-type%3Bhost%3B"
      "X-Amz-Meta-Configuration_id%3bx-amz-meta-evaluator_id&X-Amz-Signature=abc#frag",
      &found);
  EXPECT_TRUE(found);
  EXPECT_EQ(names, (std::vector<std::string>{"content-type", "host", "x-amz-meta-configuration_id",
                                             "x-amz-meta-evaluator_id"}));
}

TEST(SignedHeaderNames, AbsentWithoutSigV4Query) {
  bool found = true;
  EXPECT_TRUE(signedHeaderNames("https://s3.example/b/k?Signature=abc&Expires=1", &found).empty());
  EXPECT_FALSE(found);
  EXPECT_TRUE(signedHeaderNames("https://s3.example/b/k", &found).empty());
  EXPECT_FALSE(found);
  auto last = signedHeaderNames("https://x/?a=1&X-Amz-SignedHeaders=host", &found);
  EXPECT_TRUE(found);
  EXPECT_EQ(last, std::vector<std::string>{"host"});
}

TEST(ReadPlaudComplete, FileMd5ComparedWithoutRegardToCase) {
  Json doc;
  std::string why;
  ASSERT_TRUE(parseJson(R"({"FileId":"f","DownloadUrl":"https://d","FileType":"mp3","FileMd5":"9E107D9D372BB6826BD81D3542A419D6"})",
                        &doc, &why));
  JsonPtr out;
  Error e = readPlaudComplete(doc, "9e107d9d372bb6826bd81d3542a419d6", &out);
  EXPECT_EQ(e.code, "");
  ASSERT_TRUE(out);
  EXPECT_EQ(stringOr(*out, "fileMd5"), "9e107d9d372bb6826bd81d3542a419d6");
  JsonPtr other;
  EXPECT_EQ(readPlaudComplete(doc, "00000000000000000000000000000000", &other).code, codes::kIntegrity);
}

}  // namespace
}  // namespace uplift::vendors
