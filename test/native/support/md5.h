// MD5 digests for the native test suites, computed with OpenSSL's EVP API.
// Used by the loopback test server (bodyMd5, S3-style ETags) and by tests that check them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace uplift::testing {

// Streaming MD5. One owner; not thread-safe. Throws std::runtime_error if OpenSSL fails.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void update(const void* data, std::size_t len);
  // Lowercase hex of the digest (32 chars). Call once; later calls return the same value.
  std::string finishHex();

 private:
  evp_md_ctx_st* ctx_;  // owned
  std::string hex_;     // set by the first finishHex()
};

// Lowercase hex MD5 of `data`.
std::string md5Hex(std::string_view data);

}  // namespace uplift::testing
