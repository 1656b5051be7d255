// MD5 digests for the native test suites over OpenSSL's EVP API (see md5.h).
#include "support/md5.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace uplift::testing {

Md5::Md5() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw std::runtime_error("md5: OpenSSL EVP init failed");
  }
}

Md5::~Md5() { EVP_MD_CTX_free(ctx_); }

void Md5::update(const void* data, std::size_t len) {
  if (!hex_.empty()) throw std::logic_error("md5: update after finishHex");
  if (len > 0 && EVP_DigestUpdate(ctx_, data, len) != 1) {
    throw std::runtime_error("md5: OpenSSL EVP update failed");
  }
}

std::string Md5::finishHex() {
  if (!hex_.empty()) return hex_;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, digest, &len) != 1) {
    throw std::runtime_error("md5: OpenSSL EVP final failed");
  }
  static const char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    hex_ += kHex[digest[i] >> 4];
    hex_ += kHex[digest[i] & 0xf];
  }
  return hex_;
}

std::string md5Hex(std::string_view data) {
  Md5 md5;
  md5.update(data.data(), data.size());
  return md5.finishHex();
}

}  // namespace uplift::testing
