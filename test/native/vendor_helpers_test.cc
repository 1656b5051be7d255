// Pure helpers of the vendor flows: the signed header names of a presigned URL (Heify sends
// exactly those x-amz-meta-* headers), Plaud's complete answer read with an upper-case
// FileMd5, and Plaud's part layout (the one home of upload()'s parts).
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

TEST(LayoutTicket, PartNumberNCoversItsChunkTheLastOneShorter) {
  std::vector<PartUrl> parts = {{2, "http://h/2"}, {1, "http://h/1"}, {3, "http://h/3"}};
  PlaudTicket t;
  t.chunkSize = 10;
  uint64_t expected = 0;
  ASSERT_EQ(layoutTicket(parts, 25, &t, &expected), Layout::kOk);
  EXPECT_EQ(expected, 3u);
  ASSERT_EQ(t.parts.size(), 3u);
  for (const auto& p : t.parts) {
    EXPECT_EQ(p.offset, static_cast<uint64_t>(p.partNumber - 1) * 10) << p.partNumber;
    EXPECT_EQ(p.length, p.partNumber == 3 ? 5u : 10u) << p.partNumber;
    EXPECT_EQ(p.url, "http://h/" + std::to_string(p.partNumber));
  }
}

TEST(LayoutTicket, RefusesWrongCountsGapsRepeatsAndMissingUrls) {
  PlaudTicket t;
  t.chunkSize = 10;
  uint64_t expected = 0;
  EXPECT_EQ(layoutTicket({{1, "u"}, {2, "u"}}, 21, &t, &expected), Layout::kWrongCount);
  EXPECT_EQ(expected, 3u);
  EXPECT_EQ(layoutTicket({{1, "u"}, {3, "u"}}, 20, &t, &expected), Layout::kBadPart);
  EXPECT_EQ(layoutTicket({{1, "u"}, {1, "u"}}, 20, &t, &expected), Layout::kBadPart);
  EXPECT_EQ(layoutTicket({{1, ""}}, 5, &t, &expected), Layout::kBadPart);
  EXPECT_EQ(layoutTicket({{0, "u"}}, 5, &t, &expected), Layout::kBadPart);
  // an empty file is one empty part
  ASSERT_EQ(layoutTicket({{1, "u"}}, 0, &t, &expected), Layout::kOk);
  EXPECT_EQ(t.parts[0].length, 0u);
}

TEST(ReadPlaudPresign, LaysOutTheAnswerAndRefusesARepeatedPart) {
  Json ok, twice;
  ASSERT_TRUE(parseJson(R"({"FileId":"f","UploadId":"u","ChunkSize":4,"Parts":[
      {"PartNumber":2,"PresignedUrl":"http://h/2"},{"PartNumber":1,"PresignedUrl":"http://h/1"}]})", &ok, nullptr));
  PlaudTicket t;
  ASSERT_EQ(readPlaudPresign(ok, 6, &t).code, "");
  ASSERT_EQ(t.parts.size(), 2u);
  EXPECT_EQ(t.parts[0].partNumber, 2);
  EXPECT_EQ(t.parts[0].offset, 4u);
  EXPECT_EQ(t.parts[0].length, 2u);
  ASSERT_TRUE(parseJson(R"({"FileId":"f","UploadId":"u","ChunkSize":4,"Parts":[
      {"PartNumber":1,"PresignedUrl":"http://h/1"},{"PartNumber":1,"PresignedUrl":"http://h/1"}]})", &twice, nullptr));
  PlaudTicket t2;
  EXPECT_EQ(readPlaudPresign(twice, 6, &t2).code, codes::kBadResponse);
}

}  // namespace
}  // namespace uplift::vendors
