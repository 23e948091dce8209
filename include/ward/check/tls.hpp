#pragma once

#include <chrono>
#include <string>

#include "ward/check/probe.hpp"
#include "ward/check/starttls.hpp"

namespace ward::check {

struct TlsOptions {
  std::string target;  // HOST[:PORT]; the port defaults to 443 or the STARTTLS protocol's
  starttls::Protocol starttls = starttls::Protocol::none;
  std::string sni;                  // server name to send and match; default: the host
  std::string ca_file;              // trust anchors; default: the system store
  std::string min_version = "1.2";  // 1.0 | 1.1 | 1.2 | 1.3
  int warn_days = 30;
  std::string expect_fingerprint;  // SHA256:<base64> or SHA256:<hex>, of the leaf certificate
  std::chrono::milliseconds timeout{5000};  // per connection step
};

// Probes a TLS endpoint: every protocol version and every weak cipher class on its own
// connection, all at once, plus the certificate chain from one handshake. An unreachable
// target or one that does not speak TLS yields status error; nothing is thrown for the target's
// behaviour. Throws Error(usage) for bad options (unknown --min-version, unreadable --ca, a
// malformed --expect-fingerprint).
[[nodiscard]] Probe check_tls(const TlsOptions& options);

}  // namespace ward::check
