#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ward/crypto/secret.hpp"
#include "ward/ssh/host_key.hpp"

// libssh2's handle types, declared here so that callers need not include libssh2.h (the core
// links libssh2 privately). The names are libssh2's own.
// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
struct _LIBSSH2_SESSION;
struct _LIBSSH2_CHANNEL;
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)

namespace ward::ssh {

class Sftp;

// Where to connect: a host name, an IPv4 literal or an IPv6 literal (without brackets).
struct Endpoint {
  std::string host;
  std::uint16_t port = 22;
  // "host:port", "[v6]:port": for messages.
  [[nodiscard]] std::string display() const;
};

struct SessionOptions {
  // Bounds every blocking step: TCP connect, handshake, authentication, each channel or SFTP
  // request. A server that accepts and never speaks fails with Error(unreachable) after it.
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};
  // Host key algorithms to offer first (comma-separated, libssh2 names). Empty: ward's default
  // order (ed25519, ECDSA, RSA-SHA2), with types the known_hosts file lists for the host moved
  // first, as OpenSSH does. Algorithms libssh2 does not support are dropped.
  std::string host_key_algorithms;
  // Optional preferences for key exchange, ciphers and MACs (both directions); empty: libssh2's.
  std::string kex_algorithms;
  std::string ciphers;
  std::string macs;
  // Called with the bytes received during the handshake, in order, as they arrive: the server's
  // identification line(s) and its KEXINIT among them. Lets `check ssh` judge what the server
  // offers from the same connection it logs in on, instead of opening a second one. Also called
  // when the handshake then fails (no algorithm in common), never after it completed.
  std::function<void(std::span<const std::uint8_t>)> on_handshake_bytes;
};

// How to authenticate. Methods are tried in this order: private key from memory, key file,
// ssh-agent, password; the first the server accepts wins.
struct Credentials {
  std::string user;
  std::filesystem::path identity_file;             // private key file (ed25519 or ECDSA)
  std::optional<crypto::SecretBytes> private_key;  // a private key's file content, in memory
  std::optional<crypto::SecretBytes> passphrase;   // for an encrypted private key
  std::optional<crypto::SecretBytes> password;
  bool use_agent = true;  // when SSH_AUTH_SOCK names an agent
};

// Result of running one command on the server.
struct ExecResult {
  int exit_status = -1;
  std::string stdout_text;
  std::string stderr_text;
};

// One channel of a session (direct-tcpip or exec). Blocking unless the session is set
// non-blocking; in non-blocking mode read/write return nullopt where they would block.
class Channel {
 public:
  Channel(Channel&&) noexcept;
  Channel& operator=(Channel&&) noexcept;
  ~Channel();

  // Bytes read (0 at end of stream), or nullopt when it would block. Throws Error(unreachable).
  std::optional<std::size_t> read(std::span<std::uint8_t> buffer, int stream = 0);
  // Bytes written, or nullopt when it would block. Throws Error(unreachable).
  std::optional<std::size_t> write(std::span<const std::uint8_t> data);
  void send_eof();
  [[nodiscard]] bool eof() const;
  [[nodiscard]] _LIBSSH2_CHANNEL* native() const { return m_channel; }

 private:
  friend class Session;
  Channel(class Session& session, _LIBSSH2_CHANNEL* channel);
  class Session* m_session;
  _LIBSSH2_CHANNEL* m_channel;
};

// One SSH connection: TCP connect with timeout, handshake, host key verification,
// authentication, then channels and SFTP. Errors are ward::Error: unreachable (6) for
// connect, timeout and disconnect; auth (4) for a refused host key or failed authentication.
// Messages never contain a secret.
class Session {
 public:
  // Connects and completes the SSH handshake; does not verify the host key yet.
  static std::unique_ptr<Session> connect(const Endpoint& endpoint, const SessionOptions& options);
  // Connects, handshakes and verifies the host key by `policy` (reading known_hosts first so
  // its key types are preferred).
  static std::unique_ptr<Session> connect(const Endpoint& endpoint, const SessionOptions& options,
                                          const HostKeyPolicy& policy);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  [[nodiscard]] const Endpoint& endpoint() const { return m_endpoint; }
  [[nodiscard]] const HostKey& host_key() const { return m_host_key; }
  // The server's identification string ("SSH-2.0-OpenSSH_9.2p1 …").
  [[nodiscard]] std::string server_banner() const;
  enum class Method {
    kex,
    host_key,
    cipher_client_to_server,
    cipher_server_to_client,
    mac_client_to_server,
    mac_server_to_client
  };
  // The algorithm negotiated for `method`.
  [[nodiscard]] std::string negotiated(Method method) const;

  HostKeyVerdict verify_host_key(const HostKeyPolicy& policy);

  // Authentication methods the server offers this user ("publickey", "password", …). Empty
  // when the server accepted the user without authentication.
  std::vector<std::string> auth_methods(const std::string& user);
  // Tries the credentials' methods in order; throws Error(auth) naming what was tried.
  void authenticate(const Credentials& credentials);
  [[nodiscard]] bool authenticated() const;

  // Runs a command and collects its output and exit status. `input` goes to its stdin.
  ExecResult exec(const std::string& command, std::span<const std::uint8_t> input = {});
  // A channel to host:port as seen from the server (local port forwarding).
  Channel open_direct_tcpip(const std::string& host, std::uint16_t port,
                            const std::string& origin_host = "127.0.0.1",
                            std::uint16_t origin_port = 0);
  // The SFTP subsystem on this session.
  std::unique_ptr<Sftp> open_sftp();

  void set_blocking(bool blocking);
  // Waits until the socket is ready in the direction libssh2 is blocked on (non-blocking
  // mode); false on timeout.
  bool wait_socket(std::chrono::milliseconds timeout);
  [[nodiscard]] int socket_fd() const { return m_socket; }
  [[nodiscard]] _LIBSSH2_SESSION* native() const { return m_session; }
  [[nodiscard]] std::chrono::milliseconds timeout() const { return m_options.timeout; }
  // Whether the connection failed (timeout, disconnect): the session is unusable.
  [[nodiscard]] bool broken() const { return m_broken; }
  // For the destructors of a broken session and what hangs off it: shuts the socket down and
  // puts libssh2 in blocking mode, so the libssh2 calls that free a channel, an SFTP session or
  // a handle fail their goodbye at once and free, rather than return EAGAIN and free nothing.
  void abandon() noexcept;

  // Throws the ward::Error for libssh2 error `rc` during `what` (unreachable or auth).
  [[noreturn]] void fail_with(int rc, const std::string& what) const;
  // libssh2's last error message for this session.
  [[nodiscard]] std::string last_error() const;

 private:
  Session(Endpoint endpoint, SessionOptions options);
  void handshake(const std::vector<std::string>& preferred_key_types);
  bool try_key_from_memory(const Credentials& credentials, std::vector<std::string>& tried);
  bool try_key_file(const Credentials& credentials, std::vector<std::string>& tried);
  bool try_agent(const Credentials& credentials, std::vector<std::string>& tried);
  bool try_password(const Credentials& credentials, std::vector<std::string>& tried);

  Endpoint m_endpoint;
  SessionOptions m_options;
  int m_socket = -1;
  _LIBSSH2_SESSION* m_session = nullptr;
  HostKey m_host_key;
  bool m_rsa_key_refused = false;
  // The methods offered to a user, kept from the first auth_methods() call: libssh2 1.10 keeps
  // the list in the session and drops it unfreed when asked again (75 bytes per call).
  std::optional<std::pair<std::string, std::vector<std::string>>> m_auth_methods;
  mutable bool m_broken = false;  // a transport failure: no more traffic, nothing may block
};

// The key type a private key file's content names ("ssh-rsa", "ssh-ed25519", "ecdsa-sha2-…"),
// read from its unencrypted part; empty when it cannot tell.
std::string private_key_type(std::string_view key_file_content);
// The authorized_keys form ("ssh-ed25519 AAAA…") of an OpenSSH private key file's public half,
// read from its unencrypted part; empty when the content is not in OpenSSH format.
std::string public_key_line(std::string_view private_key_content);

// Connects a TCP socket to the endpoint within the timeout, trying every address getaddrinfo
// returns. Returns the connected (blocking) socket; throws Error(unreachable).
int tcp_connect(const Endpoint& endpoint, std::chrono::milliseconds timeout);

}  // namespace ward::ssh
