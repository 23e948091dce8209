#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "ward/check/probe.hpp"
#include "ward/ssh/session.hpp"

namespace ward::check {

struct SshCheckOptions {
  std::string host;
  std::uint16_t port = 22;
  // Host key trust: an expected `SHA256:…` fingerprint, else a known_hosts file. With neither,
  // the host key is reported but unverified.
  std::string expected_fingerprint;
  std::filesystem::path known_hosts;
  // Whose authentication methods to ask for; with `credentials`, also log in with them.
  std::string user = "ward-check";
  std::optional<ssh::Credentials> credentials;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

// `ward check ssh`: the server's identification, the algorithms it offers (its KEXINIT, read
// directly and judged by ssh_algorithms), its host key and fingerprint against known_hosts or an
// expected value, whether it offers password authentication, and optionally whether a stored
// credential authenticates. The raw KEXINIT read and the libssh2 handshake run concurrently.
Probe check_ssh(const SshCheckOptions& options);

}  // namespace ward::check
