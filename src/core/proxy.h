// Proxy settings of a job, decided by the caller (the TypeScript layer reads HTTPS_PROXY /
// HTTP_PROXY / NO_PROXY): libcurl is never left to read the environment on its own.
#pragma once

#include <curl/curl.h>

#include <string>

#include "error.h"
#include "http.h"

namespace uplift {

struct ProxySettings {
  std::string http;     // proxy URL for http:// requests; empty = direct
  std::string https;    // proxy URL for https:// requests; empty = direct
  std::string noProxy;  // comma-separated hosts, domains (suffix match), IPs, or "*"
};

// The proxy URL a request to `url` goes through ("" = direct), honouring noProxy.
std::string proxyFor(const ProxySettings& p, const std::string& url);

// True when `host` matches the noProxy list (curl's rules: "*", exact host, domain suffix).
bool bypassesProxy(const std::string& noProxy, const std::string& host);

// Sets CURLOPT_PROXY ("" when direct, so libcurl reads no environment variable) and
// CURLOPT_NOPROXY, plus the CA options of an https:// proxy.
void applyProxy(CURL* easy, const ProxySettings& p, const std::string& url, const TlsOptions& tls);

// A proxy URL as shown in messages: scheme://host:port, credentials removed.
std::string shownProxy(const std::string& proxyUrl);

// After a failed attempt: turns failures of the proxy itself (refused CONNECT such as 407,
// proxy unreachable or closing the tunnel before it was up) into ERR_UPLIFT_PROXY.
void refineProxyError(CURL* easy, int curlCode, const ProxySettings& p, const std::string& url,
                      long status, Error* err);

}  // namespace uplift
