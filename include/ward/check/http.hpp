#pragma once

#include <chrono>
#include <string>

#include "ward/check/probe.hpp"

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

}  // namespace ward::check
