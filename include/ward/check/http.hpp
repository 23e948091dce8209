#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "ward/check/probe.hpp"
#include "ward/crypto/secret.hpp"

namespace ward::check {

struct HttpOptions {
  std::string url;      // http:// (must redirect to https) or https://
  std::string ca_file;  // trust anchors; default: the system store
  int warn_days = 30;
  std::chrono::milliseconds timeout{10000};  // per request
};

// Checks a URL with libcurl: for http://, that it redirects to https:// (then checks that
// target); for https://, the certificate (trust, host name, expiry), the negotiated protocol and
// the Strict-Transport-Security header. Throws Error(usage) for a URL of another scheme.
[[nodiscard]] Probe check_http(const HttpOptions& options);

// One GET with libcurl, redirects not followed (a secret header must not travel to wherever a
// Location points). Shared by `check http` and `check source` for https and api-key credentials.
struct HttpRequest {
  std::string url;
  std::string ca_file;  // trust anchors; default: the system store
  bool verify = true;   // certificate chain and host name
  std::chrono::milliseconds timeout{10000};
  // Connect to this address and port instead of the URL's (a bastion's local forward), while
  // SNI, the Host header and certificate verification still use the URL's host.
  std::string connect_host;
  std::uint16_t connect_port = 0;
  // One request header that carries a secret ("Authorization: Bearer …", "X-API-Key: …"): held
  // in secret memory, and the copy handed to libcurl is zeroed after the transfer.
  std::optional<crypto::SecretBytes> secret_header;
};

struct HttpResponse {
  int curl_code = 0;  // CURLcode; 0 when the transfer completed
  std::string error;  // libcurl's message when it did not
  long status = 0;
  std::string redirect;  // Location resolved against the URL
  std::string hsts;      // Strict-Transport-Security value (last one wins)
  std::string tls_version;
  std::string cipher;
  bool have_cert = false;
  int cert_days_left = 0;
  std::string cert_not_after;

  [[nodiscard]] bool ok() const { return curl_code == 0; }
  // The certificate did not verify (chain or host name).
  [[nodiscard]] bool untrusted() const;
  // The TLS handshake itself failed (no common version or suite, garbage instead of TLS).
  [[nodiscard]] bool tls_failed() const;
  // The CA file could not be read.
  [[nodiscard]] bool bad_ca_file() const;
  // A stable id suffix for a failure to connect: unresolved, refused, timeout or failed.
  [[nodiscard]] std::string connect_failure() const;
};

[[nodiscard]] HttpResponse http_get(const HttpRequest& request);

// A URL's scheme (lower case), host (IPv6 without brackets) and port (the scheme's default when
// the URL names none); nullopt when libcurl cannot parse it.
struct UrlParts {
  std::string scheme;
  std::string host;
  std::uint16_t port = 0;
};
[[nodiscard]] std::optional<UrlParts> parse_url(const std::string& url);

}  // namespace ward::check
