// MD5 via OpenSSL EVP.
#include "md5.h"

#include <openssl/evp.h>

namespace uplift {

Md5::Md5() : ctx_(EVP_MD_CTX_new()) { reset(); }

Md5::~Md5() { EVP_MD_CTX_free(ctx_); }

void Md5::reset() { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }

void Md5::update(const void* data, size_t n) {
  if (n > 0) EVP_DigestUpdate(ctx_, data, n);
}

std::string Md5::finishRaw() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Md5::finishHex() { return hex(finishRaw()); }

std::string Md5::hex(const std::string& raw) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string Md5::ofHex(const void* data, size_t n) {
  Md5 m;
  m.update(data, n);
  return m.finishHex();
}

}  // namespace uplift
