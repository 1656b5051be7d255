// MD5 through OpenSSL's EVP interface (never hand-written). Not thread-safe per instance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace uplift {

class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void reset();
  void update(const void* data, size_t n);
  // Finishes and returns 16 raw bytes; the instance must be reset() before reuse.
  std::string finishRaw();
  std::string finishHex();

  static std::string hex(const std::string& raw);
  static std::string ofHex(const void* data, size_t n);

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace uplift
