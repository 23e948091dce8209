#include "ward/check/ssh.hpp"

#include <algorithm>
#include <future>

#include "ward/check/net.hpp"
#include "ward/check/ssh_algorithms.hpp"
#include "ward/check/ssh_kexinit.hpp"
#include "ward/error.hpp"
#include "ward/util/duration.hpp"

namespace ward::check {
namespace {

constexpr std::size_t k_max_preamble_lines = 32;  // lines a server may send before its SSH-…
constexpr std::size_t k_max_line = 255;           // RFC 4253 §4.2
constexpr std::size_t k_max_read = 64 * 1024;

struct RawHello {
  std::optional<ssh_wire::Identification> identification;
  std::optional<ssh_wire::KexInit> kexinit;
  net::Failure failure = net::Failure::none;
  std::string error;
};

// Reads the server's identification and KEXINIT the way any client sees them first. ward sends
// its own identification and nothing else, so the server never starts a key exchange with it.
RawHello read_server_hello(const SshCheckOptions& options) {
  RawHello hello;
  const auto resolved = net::resolve({options.host, options.port}, options.timeout);
  if (resolved.failure != net::Failure::none) {
    hello.failure = resolved.failure;
    hello.error = resolved.error;
    return hello;
  }
  net::Connection connection;
  for (const auto& address : resolved.addresses) {
    connection = net::connect(address, options.timeout);
    if (connection.failure == net::Failure::none) break;
  }
  if (connection.failure != net::Failure::none) {
    hello.failure = connection.failure;
    hello.error = connection.error;
    return hello;
  }
  auto& socket = connection.socket;
  if (!socket.send_text("SSH-2.0-ward_" WARD_VERSION "\r\n")) {
    hello.failure = net::Failure::io;
    hello.error = "cannot send the SSH identification";
    return hello;
  }
  for (std::size_t i = 0; i < k_max_preamble_lines && !hello.identification; ++i) {
    auto line = socket.receive_line(k_max_line, hello.failure);
    if (!line) {
      hello.error = "no SSH identification from the server";
      return hello;
    }
    hello.identification = ssh_wire::parse_identification(*line);
  }
  if (!hello.identification) {
    hello.failure = net::Failure::io;
    hello.error = "the server did not send an SSH identification (not an SSH server?)";
    return hello;
  }
  std::vector<std::uint8_t> buffer;
  while (buffer.size() < k_max_read) {
    try {
      if (auto packet = ssh_wire::parse_packet(buffer)) {
        hello.kexinit = ssh_wire::parse_kexinit(packet->payload);
        return hello;
      }
    } catch (const Error& e) {
      hello.failure = net::Failure::io;
      hello.error = e.what();
      return hello;
    }
    auto chunk = socket.receive(4096, hello.failure);
    if (chunk.empty()) {
      hello.error = "the server closed the connection before its KEXINIT";
      return hello;
    }
    buffer.insert(buffer.end(), chunk.begin(), chunk.end());
  }
  hello.failure = net::Failure::io;
  hello.error = "no KEXINIT in the first " + std::to_string(k_max_read) + " bytes";
  return hello;
}

struct HandshakeResult {
  std::optional<ssh::HostKey> host_key;
  std::optional<ssh::HostKeyMatch> match;  // nullopt: nothing to check against
  std::string expected;                    // the trusted fingerprint, on a mismatch
  std::string negotiated_kex;
  std::string negotiated_cipher;
  std::string negotiated_mac;
  std::vector<std::string> auth_methods;
  bool auth_attempted = false;
  bool auth_ok = false;
  std::string auth_error;
  std::string error;  // the handshake itself failed
};

HandshakeResult handshake(const SshCheckOptions& options) {
  HandshakeResult result;
  try {
    ssh::SessionOptions session_options;
    session_options.timeout = options.timeout;
    std::optional<ssh::KnownHosts> known_hosts;
    if (options.expected_fingerprint.empty() && !options.known_hosts.empty()) {
      known_hosts = ssh::KnownHosts::load(options.known_hosts);
      // Ask for a key type the file lists, as OpenSSH does, so a listed host is not "unknown"
      // only because the server preferred another of its keys.
      std::string preferred;
      for (const auto& type : known_hosts->known_types(options.host, options.port)) {
        const auto algorithms = type == "ssh-rsa" ? std::string("rsa-sha2-512,rsa-sha2-256") : type;
        preferred += (preferred.empty() ? "" : ",") + algorithms;
      }
      session_options.host_key_algorithms = preferred;
    }
    auto session = ssh::Session::connect({options.host, options.port}, session_options);
    result.host_key = session->host_key();
    const auto& key = *result.host_key;
    if (!options.expected_fingerprint.empty()) {
      const auto expected = ssh::parse_fingerprint(options.expected_fingerprint);
      result.expected = expected.value_or(options.expected_fingerprint);
      result.match = expected && *expected == key.fingerprint ? ssh::HostKeyMatch::match
                                                              : ssh::HostKeyMatch::mismatch;
    } else if (known_hosts) {
      result.match = known_hosts->check(options.host, options.port, key, &result.expected);
    }
    result.negotiated_kex = session->negotiated(ssh::Session::Method::kex);
    result.negotiated_cipher = session->negotiated(ssh::Session::Method::cipher_client_to_server);
    result.negotiated_mac = session->negotiated(ssh::Session::Method::mac_client_to_server);
    const auto user = options.credentials ? options.credentials->user : options.user;
    result.auth_methods = session->auth_methods(user);
    if (options.credentials) {
      result.auth_attempted = true;
      // Never authenticate to a server whose key contradicts what we trust.
      if (result.match == ssh::HostKeyMatch::mismatch) {
        result.auth_error = "not attempted: the host key does not match";
      } else {
        try {
          session->authenticate(*options.credentials);
          result.auth_ok = true;
        } catch (const Error& e) {
          result.auth_error = e.what();
          if (!e.hint().empty()) result.auth_error += " (" + e.hint() + ")";
        }
      }
    }
  } catch (const Error& e) {
    result.error = e.what();
  }
  return result;
}

}  // namespace

Probe check_ssh(const SshCheckOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  Probe probe;
  probe.kind = "ssh";
  probe.target = net::Endpoint{options.host, options.port}.text();
  probe.checked_at = util::format_time(util::now());

  auto raw = std::async(std::launch::async, [&] { return read_server_hello(options); });
  auto shaken = std::async(std::launch::async, [&] { return handshake(options); });
  const auto hello = raw.get();
  const auto session = shaken.get();
  probe.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);

  if (!hello.kexinit) {
    probe.set_error("ssh." + std::string(net::failure_id(hello.failure)),
                    "cannot read the SSH server's hello from " + probe.target + ": " + hello.error);
    return probe;
  }
  const auto& id = *hello.identification;
  probe.facts["banner"] = id.line;
  probe.facts["software"] = id.software;
  if (id.protocol != "2.0") {
    probe.add("ssh.protocol.v1", Severity::high,
              "server still accepts SSH protocol 1 (identifies as " + id.protocol + ")",
              {{"banner", id.line}});
  }
  ssh_wire::judge_kexinit(*hello.kexinit, probe);

  if (!session.error.empty()) {
    probe.add("ssh.handshake.failed", Severity::high,
              "the SSH handshake with " + probe.target + " failed: " + session.error);
    probe.settle();
    return probe;
  }
  const auto& key = *session.host_key;
  probe.facts["host_key"] = {
      {"type", key.type}, {"algorithm", key.algorithm}, {"fingerprint", key.fingerprint}};
  probe.facts["negotiated"] = {{"kex", session.negotiated_kex},
                               {"cipher", session.negotiated_cipher},
                               {"mac", session.negotiated_mac}};
  if (!session.match) {
    probe.add("ssh.hostkey.unverified", Severity::medium,
              "host key " + key.fingerprint +
                  " was not checked: give --known-hosts FILE or --expect-hostkey SHA256:…",
              {{"fingerprint", key.fingerprint}});
  } else if (*session.match == ssh::HostKeyMatch::mismatch) {
    probe.add("ssh.hostkey.mismatch", Severity::critical,
              "host key " + key.fingerprint + " does not match the trusted " + session.expected +
                  ": the server was reinstalled, or someone is in the middle",
              {{"offered", key.fingerprint}, {"expected", session.expected}});
  } else if (*session.match == ssh::HostKeyMatch::unknown) {
    probe.add("ssh.hostkey.unknown", Severity::high,
              "host key " + key.fingerprint + " (" + key.type + ") is not in " +
                  options.known_hosts.string(),
              {{"fingerprint", key.fingerprint}, {"known_hosts", options.known_hosts.string()}});
  }
  probe.facts["auth_methods"] = session.auth_methods;
  if (std::find(session.auth_methods.begin(), session.auth_methods.end(), "password") !=
      session.auth_methods.end()) {
    probe.add("ssh.auth.password", Severity::low,
              "server offers password authentication: passwords can be guessed and phished; "
              "prefer keys (PasswordAuthentication no)");
  }
  if (session.auth_attempted) {
    probe.facts["authenticated"] = session.auth_ok;
    if (!session.auth_ok) {
      probe.add(
          "ssh.auth.failed", Severity::high,
          "authentication as " + options.credentials->user + " failed: " + session.auth_error);
    }
  }
  probe.settle();
  return probe;
}

}  // namespace ward::check
