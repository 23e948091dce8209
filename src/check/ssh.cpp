#include "ward/check/ssh.hpp"

#include <algorithm>
#include <span>
#include <vector>

#include "ward/check/net.hpp"
#include "ward/check/ssh_algorithms.hpp"
#include "ward/check/ssh_kexinit.hpp"
#include "ward/error.hpp"
#include "ward/util/duration.hpp"

namespace ward::check {
namespace {

constexpr std::size_t k_max_preamble_lines = 32;  // lines a server may send before its SSH-…
constexpr std::size_t k_max_line = 255;           // RFC 4253 §4.2
constexpr std::size_t k_max_read = std::size_t{64} * 1024;
constexpr std::size_t k_min_rsa_bits = 2048;

struct RawHello {
  std::optional<ssh_wire::Identification> identification;
  std::optional<ssh_wire::KexInit> kexinit;
  net::Failure failure = net::Failure::none;
  std::string error;
};

// What a server sends first, parsed as it arrives: its identification line (after up to
// k_max_preamble_lines other lines), then its first binary packet, the KEXINIT. Fed either by
// libssh2's handshake (SessionOptions::on_handshake_bytes) or by read_server_hello's socket.
class HelloParser {
 public:
  // Adds received bytes; true once the hello is complete or can no longer be (error set).
  bool feed(std::span<const std::uint8_t> bytes) {
    if (m_done) return true;
    m_buffer.insert(m_buffer.end(), bytes.begin(), bytes.end());
    while (!m_hello.identification) {
      const auto newline = std::find(m_buffer.begin(), m_buffer.end(), '\n');
      if (newline == m_buffer.end()) {
        if (m_buffer.size() <= k_max_line) return false;
        return stop("the server did not send an SSH identification (not an SSH server?)");
      }
      std::string line(m_buffer.begin(), newline);
      m_buffer.erase(m_buffer.begin(), newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      m_hello.identification = ssh_wire::parse_identification(line);
      if (!m_hello.identification && ++m_lines >= k_max_preamble_lines) {
        return stop("the server did not send an SSH identification (not an SSH server?)");
      }
    }
    try {
      if (auto packet = ssh_wire::parse_packet(m_buffer)) {
        m_hello.kexinit = ssh_wire::parse_kexinit(packet->payload);
        m_done = true;
        m_buffer.clear();
        return true;
      }
    } catch (const Error& e) {
      return stop(e.what());
    }
    if (m_buffer.size() > k_max_read) {
      return stop("no KEXINIT in the first " + std::to_string(k_max_read) + " bytes");
    }
    return false;
  }
  [[nodiscard]] bool complete() const { return m_hello.kexinit.has_value(); }
  [[nodiscard]] bool has_identification() const { return m_hello.identification.has_value(); }
  RawHello& hello() { return m_hello; }

 private:
  bool stop(std::string error) {
    m_hello.failure = net::Failure::io;
    m_hello.error = std::move(error);
    m_done = true;
    return true;
  }
  std::vector<std::uint8_t> m_buffer;
  std::size_t m_lines = 0;
  bool m_done = false;
  RawHello m_hello;
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
  HelloParser parser;
  net::Failure failure = net::Failure::none;
  while (true) {
    auto chunk = socket.receive(4096, failure);
    if (chunk.empty()) {
      hello.failure = failure == net::Failure::none ? net::Failure::closed : failure;
      hello.error = parser.has_identification()
                        ? "the server closed the connection before its KEXINIT"
                        : "no SSH identification from the server";
      return hello;
    }
    if (parser.feed(chunk)) return std::move(parser.hello());
  }
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

// The libssh2 handshake, host key check and login, with the server's identification and
// KEXINIT collected from the same connection into `hello`.
HandshakeResult handshake(const SshCheckOptions& options, HelloParser& hello) {
  HandshakeResult result;
  try {
    ssh::SessionOptions session_options;
    session_options.timeout = options.timeout;
    session_options.on_handshake_bytes = [&hello](std::span<const std::uint8_t> bytes) {
      hello.feed(bytes);
    };
    std::optional<ssh::KnownHosts> known_hosts;
    if (options.expected_fingerprint.empty() && !options.known_hosts.empty()) {
      known_hosts = ssh::KnownHosts::load(options.known_hosts);
      // Ask for a key type the file lists, as OpenSSH does, so a listed host is not "unknown"
      // only because the server preferred another of its keys.
      std::string preferred;
      for (const auto& type : known_hosts->known_types(options.host, options.port)) {
        // libssh2 1.10 verifies RSA host keys only with ssh-rsa (SHA-1) signatures; the
        // session layer drops the names it lacks.
        const auto algorithms =
            type == "ssh-rsa" ? std::string("rsa-sha2-512,rsa-sha2-256,ssh-rsa") : type;
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

  // One connection: libssh2 logs in while the bytes it reads give ward the server's KEXINIT.
  // Only when that connection yielded none (refused, silent, not SSH) does a plain reader look
  // again, to tell those failures apart.
  HelloParser parser;
  const auto session = handshake(options, parser);
  const auto hello = parser.complete() ? std::move(parser.hello()) : read_server_hello(options);
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
  if (const auto bits = ssh_wire::rsa_modulus_bits(key.blob)) {
    probe.facts["host_key"]["bits"] = *bits;
    // NIST SP 800-57 and OpenSSH (RequiredRSASize, ssh-keygen's 3072-bit default) agree that
    // 1024-bit RSA is breakable; 2048 is the floor, 3072 what a new key should have.
    if (*bits < k_min_rsa_bits) {
      probe.add("ssh.hostkey.weak_key", Severity::high,
                "the RSA host key has " + std::to_string(*bits) + " bits, fewer than " +
                    std::to_string(k_min_rsa_bits) +
                    ": replace it (ssh-keygen -t ed25519, or "
                    "-t rsa -b 3072)",
                {{"bits", *bits}, {"fingerprint", key.fingerprint}});
    }
  }
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
