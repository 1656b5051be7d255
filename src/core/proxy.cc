// Proxy choice per request and classification of proxy failures.
#include "proxy.h"

#include <algorithm>
#include <cctype>

#include "retry.h"

namespace uplift {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Host of an absolute URL, lower-cased, without brackets, port or credentials.
std::string hostOf(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return std::string();
  size_t start = scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    return lower(authority.substr(1, close == std::string::npos ? std::string::npos : close - 1));
  }
  size_t colon = authority.find(':');
  return lower(authority.substr(0, colon));
}

bool isHttps(const std::string& url) { return lower(url.substr(0, 8)) == "https://"; }

}  // namespace

bool bypassesProxy(const std::string& noProxy, const std::string& host) {
  if (noProxy.empty() || host.empty()) return false;
  size_t pos = 0;
  while (pos <= noProxy.size()) {
    size_t comma = noProxy.find(',', pos);
    std::string entry = noProxy.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    entry.erase(std::remove_if(entry.begin(), entry.end(),
                               [](unsigned char c) { return std::isspace(c); }),
                entry.end());
    entry = lower(entry);
    if (!entry.empty() && entry.front() == '[' && entry.back() == ']') entry = entry.substr(1, entry.size() - 2);
    if (entry == "*") return true;
    while (!entry.empty() && entry.front() == '.') entry.erase(entry.begin());
    if (!entry.empty()) {
      if (host == entry) return true;
      if (host.size() > entry.size() && host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
          host[host.size() - entry.size() - 1] == '.') {
        return true;
      }
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return false;
}

std::string proxyFor(const ProxySettings& p, const std::string& url) {
  const std::string& proxy = isHttps(url) ? p.https : p.http;
  if (proxy.empty() || bypassesProxy(p.noProxy, hostOf(url))) return std::string();
  return proxy;
}

void applyProxy(CURL* easy, const ProxySettings& p, const std::string& url, const TlsOptions& tls) {
  const std::string& proxy = isHttps(url) ? p.https : p.http;
  curl_easy_setopt(easy, CURLOPT_PROXY, proxy.c_str());  // "" = direct, environment ignored
  curl_easy_setopt(easy, CURLOPT_NOPROXY, p.noProxy.c_str());
  if (proxy.empty()) return;
  if (!tls.caFile.empty()) {
    curl_easy_setopt(easy, CURLOPT_PROXY_CAINFO, tls.caFile.c_str());
  } else if (!tls.caPem.empty()) {
#if LIBCURL_VERSION_NUM >= 0x074d00  // 7.77.0: an https:// proxy checked against the same set
    curl_blob blob{const_cast<char*>(tls.caPem.data()), tls.caPem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(easy, CURLOPT_PROXY_CAINFO_BLOB, &blob);
    curl_easy_setopt(easy, CURLOPT_PROXY_CAPATH, nullptr);
#endif
  }
  if (tls.insecureSkipVerify) {
    curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYHOST, 0L);
  }
}

std::string shownProxy(const std::string& proxyUrl) {
  size_t scheme = proxyUrl.find("://");
  std::string prefix = scheme == std::string::npos ? std::string() : proxyUrl.substr(0, scheme + 3);
  std::string rest = scheme == std::string::npos ? proxyUrl : proxyUrl.substr(scheme + 3);
  size_t end = rest.find_first_of("/?#");
  if (end != std::string::npos) rest = rest.substr(0, end);
  size_t at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  return prefix + rest;
}

void refineProxyError(CURL* easy, int curlCode, const ProxySettings& p, const std::string& url,
                      long status, Error* err) {
  std::string proxy = proxyFor(p, url);
  if (proxy.empty() || err->code.empty()) return;
  long connectCode = 0;
  curl_easy_getinfo(easy, CURLINFO_HTTP_CONNECTCODE, &connectCode);
  std::string shown = shownProxy(proxy);
  if (connectCode >= 300 || status == 407) {
    long code = connectCode >= 300 ? connectCode : status;
    err->code = codes::kProxy;
    err->httpStatus = code;
    err->retryable = isRetryProxyStatus(code);
    err->message = "the proxy " + shown + " refused the request (HTTP " + std::to_string(code) + ")";
    if (code == 407) {
      err->message += ": it needs credentials; give them in the proxy URL (http://user:password@host:port)";
    }
    return;
  }
  bool tunnelDown = isHttps(url) && connectCode == 0 && status == 0;
  bool proxyFailure = curlCode == CURLE_COULDNT_RESOLVE_PROXY || curlCode == CURLE_COULDNT_CONNECT ||
                      curlCode == CURLE_PROXY ||
                      (tunnelDown && (curlCode == CURLE_RECV_ERROR || curlCode == CURLE_SEND_ERROR ||
                                      curlCode == CURLE_GOT_NOTHING));
  if (!proxyFailure) return;
  err->code = codes::kProxy;
  err->message = "the proxy " + shown + " failed: " + err->message;
}

}  // namespace uplift
