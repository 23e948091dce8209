#include "ward/ssh/session.hpp"

#include <fcntl.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>

#include "library.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/error.hpp"
#include "ward/ssh/sftp.hpp"

namespace ward::ssh {

namespace detail {

void ensure_library() {
  static std::once_flag once;
  static int rc = 0;
  std::call_once(once, [] { rc = libssh2_init(0); });
  if (rc != 0)
    fail(ErrorCode::internal, "cannot initialise libssh2 (rc " + std::to_string(rc) + ")");
}

}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;

std::string seconds_text(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  std::ostringstream out;
  out << static_cast<double>(ms) / 1000.0 << " s";
  return out.str();
}

// libssh2's default send() raises SIGPIPE when the server has gone; ward reports that as an
// error instead of dying from the signal.
ssize_t send_without_sigpipe(libssh2_socket_t fd, const void* buffer, size_t length, int flags,
                             void** /*abstract*/) {
  const auto rc = ::send(fd, buffer, length, flags | MSG_NOSIGNAL);
  if (rc < 0) return -errno;
  return rc;
}

// Hands what libssh2 reads during the handshake to SessionOptions::on_handshake_bytes; the
// session's abstract pointer is the tap while the handshake runs, null otherwise.
using HandshakeTap = std::function<void(std::span<const std::uint8_t>)>;
ssize_t receive_with_tap(libssh2_socket_t fd, void* buffer, size_t length, int flags,
                         void** abstract) {
  const auto rc = ::recv(fd, buffer, length, flags);
  if (rc < 0) return -errno;
  if (rc > 0 && abstract != nullptr && *abstract != nullptr) {
    (*static_cast<const HandshakeTap*>(*abstract))(
        std::span(static_cast<const std::uint8_t*>(buffer), static_cast<std::size_t>(rc)));
  }
  return rc;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

std::string join(const std::vector<std::string>& items, const char* separator = ",") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// ward's host key preference: modern key types first, SHA-1 signatures last.
const std::vector<std::string>& default_host_key_order() {
  static const std::vector<std::string> order{"ssh-ed25519",
                                              "ecdsa-sha2-nistp256",
                                              "ecdsa-sha2-nistp384",
                                              "ecdsa-sha2-nistp521",
                                              "rsa-sha2-512",
                                              "rsa-sha2-256",
                                              "ssh-rsa"};
  return order;
}

// Host key algorithms that sign with a key of `type`.
std::vector<std::string> algorithms_for_type(const std::string& type) {
  if (type == "ssh-rsa") return {"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"};
  return {type};
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

int method_constant(Session::Method method) {
  switch (method) {
    case Session::Method::kex:
      return LIBSSH2_METHOD_KEX;
    case Session::Method::host_key:
      return LIBSSH2_METHOD_HOSTKEY;
    case Session::Method::cipher_client_to_server:
      return LIBSSH2_METHOD_CRYPT_CS;
    case Session::Method::cipher_server_to_client:
      return LIBSSH2_METHOD_CRYPT_SC;
    case Session::Method::mac_client_to_server:
      return LIBSSH2_METHOD_MAC_CS;
    case Session::Method::mac_server_to_client:
      return LIBSSH2_METHOD_MAC_SC;
  }
  return LIBSSH2_METHOD_KEX;
}

// A NUL-terminated copy in secret memory, for libssh2 calls that take C strings.
crypto::SecretBytes c_string(const crypto::SecretBytes& secret) {
  crypto::SecretBytes copy(secret.size() + 1);
  std::copy(secret.bytes().begin(), secret.bytes().end(), copy.data());
  copy.data()[secret.size()] = 0;
  return copy;
}

}  // namespace

std::string Endpoint::display() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

int tcp_connect(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const auto service = std::to_string(endpoint.port);
  if (const int rc = ::getaddrinfo(endpoint.host.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    fail(ErrorCode::unreachable,
         "cannot resolve host '" + endpoint.host + "': " + ::gai_strerror(rc),
         "check the host name in the URL");
  }
  const std::unique_ptr<addrinfo, void (*)(addrinfo*)> addresses(found, ::freeaddrinfo);
  const auto deadline = Clock::now() + timeout;
  std::string last_error = "no address";
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    const int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                            address->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, address->ai_addr, address->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      rc = left > 0 ? ::poll(&pfd, 1, static_cast<int>(left)) : 0;
      if (rc == 0) {
        ::close(fd);
        last_error = "timed out after " + seconds_text(timeout);
        break;
      }
      int error = 0;
      socklen_t length = sizeof error;
      if (rc > 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0) {
        errno = error;
        rc = error == 0 ? 0 : -1;
      } else {
        rc = -1;
      }
    }
    if (rc != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
  }
  fail(ErrorCode::unreachable, "cannot connect to " + endpoint.display() + ": " + last_error,
       "check that the server is running and that host and port are right");
}

// --- Channel -----------------------------------------------------------------------------

Channel::Channel(Session& session, LIBSSH2_CHANNEL* channel)
    : m_session(&session), m_channel(channel) {}

Channel::Channel(Channel&& other) noexcept
    : m_session(other.m_session), m_channel(std::exchange(other.m_channel, nullptr)) {}

Channel& Channel::operator=(Channel&& other) noexcept {
  if (this != &other) {
    if (m_channel != nullptr) libssh2_channel_free(m_channel);
    m_session = other.m_session;
    m_channel = std::exchange(other.m_channel, nullptr);
  }
  return *this;
}

Channel::~Channel() {
  if (m_channel != nullptr) libssh2_channel_free(m_channel);
}

std::optional<std::size_t> Channel::read(std::span<std::uint8_t> buffer, int stream) {
  const auto rc = libssh2_channel_read_ex(m_channel, stream, reinterpret_cast<char*>(buffer.data()),
                                          buffer.size());
  if (rc == LIBSSH2_ERROR_EAGAIN) return std::nullopt;
  if (rc < 0) m_session->fail_with(static_cast<int>(rc), "read from channel");
  return static_cast<std::size_t>(rc);
}

std::optional<std::size_t> Channel::write(std::span<const std::uint8_t> data) {
  const auto rc = libssh2_channel_write_ex(m_channel, 0, reinterpret_cast<const char*>(data.data()),
                                           data.size());
  if (rc == LIBSSH2_ERROR_EAGAIN) return std::nullopt;
  if (rc < 0) m_session->fail_with(static_cast<int>(rc), "write to channel");
  return static_cast<std::size_t>(rc);
}

void Channel::send_eof() {
  int rc = 0;
  while ((rc = libssh2_channel_send_eof(m_channel)) == LIBSSH2_ERROR_EAGAIN) {
    if (!m_session->wait_socket(m_session->timeout())) {
      m_session->fail_with(LIBSSH2_ERROR_TIMEOUT, "send end of file on channel");
    }
  }
  if (rc < 0) m_session->fail_with(rc, "send end of file on channel");
}

bool Channel::eof() const { return libssh2_channel_eof(m_channel) != 0; }

// --- Session -----------------------------------------------------------------------------

Session::Session(Endpoint endpoint, SessionOptions options)
    : m_endpoint(std::move(endpoint)), m_options(std::move(options)) {}

Session::~Session() {
  if (m_session != nullptr) {
    // In non-blocking mode (a Forwarder leaves the session so) both calls may return EAGAIN
    // before they are done, and libssh2_session_free then frees nothing: the whole session
    // leaked. Blocking, they finish; the session's timeout bounds the goodbye.
    if (m_broken) abandon();  // nothing left to say: every read and write must fail at once
    libssh2_session_set_blocking(m_session, 1);
    if (!m_broken) libssh2_session_disconnect(m_session, "ward: done");
    libssh2_session_free(m_session);
  }
  if (m_socket >= 0) ::close(m_socket);
}

void Session::abandon() noexcept {
  if (m_socket >= 0) ::shutdown(m_socket, SHUT_RDWR);
  if (m_session != nullptr) libssh2_session_set_blocking(m_session, 1);
}

std::unique_ptr<Session> Session::connect(const Endpoint& endpoint, const SessionOptions& options) {
  detail::ensure_library();
  std::unique_ptr<Session> session(new Session(endpoint, options));
  session->handshake({});
  return session;
}

std::unique_ptr<Session> Session::connect(const Endpoint& endpoint, const SessionOptions& options,
                                          const HostKeyPolicy& policy) {
  detail::ensure_library();
  std::vector<std::string> known_types;
  if (policy.expected_fingerprint.empty() && !policy.known_hosts.empty()) {
    known_types = KnownHosts::load(policy.known_hosts).known_types(endpoint.host, endpoint.port);
  }
  std::unique_ptr<Session> session(new Session(endpoint, options));
  session->handshake(known_types);
  session->verify_host_key(policy);
  return session;
}

void Session::handshake(const std::vector<std::string>& preferred_key_types) {
  m_socket = tcp_connect(m_endpoint, m_options.timeout);
  m_session = libssh2_session_init();
  if (m_session == nullptr) fail(ErrorCode::internal, "cannot create an SSH session");
  libssh2_session_callback_set(m_session, LIBSSH2_CALLBACK_SEND,
                               reinterpret_cast<void*>(&send_without_sigpipe));
  libssh2_session_set_timeout(m_session, static_cast<long>(m_options.timeout.count()));
  libssh2_session_set_blocking(m_session, 1);

  // Host key algorithms: the caller's list, or ward's order with the types known_hosts lists
  // for this host first (OpenSSH does the same, so a host recorded by ssh verifies here).
  std::vector<std::string> wanted;
  if (!m_options.host_key_algorithms.empty()) {
    wanted = split_list(m_options.host_key_algorithms);
  } else {
    for (const auto& type : preferred_key_types) {
      for (const auto& algorithm : algorithms_for_type(type)) {
        if (!contains(wanted, algorithm)) wanted.push_back(algorithm);
      }
    }
    for (const auto& algorithm : default_host_key_order()) {
      if (!contains(wanted, algorithm)) wanted.push_back(algorithm);
    }
  }
  const char** supported = nullptr;
  const int count = libssh2_session_supported_algs(m_session, LIBSSH2_METHOD_HOSTKEY, &supported);
  if (count > 0 && supported != nullptr) {
    std::vector<std::string> available(supported, supported + count);
    libssh2_free(m_session, static_cast<void*>(supported));
    std::erase_if(wanted, [&](const std::string& a) { return !contains(available, a); });
  }
  if (!wanted.empty()) {
    libssh2_session_method_pref(m_session, LIBSSH2_METHOD_HOSTKEY, join(wanted).c_str());
  }
  const auto prefer = [&](int method, const std::string& list) {
    if (!list.empty() && libssh2_session_method_pref(m_session, method, list.c_str()) != 0) {
      fail(ErrorCode::usage, "none of the SSH algorithms '" + list + "' is supported by libssh2");
    }
  };
  prefer(LIBSSH2_METHOD_KEX, m_options.kex_algorithms);
  prefer(LIBSSH2_METHOD_CRYPT_CS, m_options.ciphers);
  prefer(LIBSSH2_METHOD_CRYPT_SC, m_options.ciphers);
  prefer(LIBSSH2_METHOD_MAC_CS, m_options.macs);
  prefer(LIBSSH2_METHOD_MAC_SC, m_options.macs);

  if (m_options.on_handshake_bytes) {
    *libssh2_session_abstract(m_session) = &m_options.on_handshake_bytes;
    libssh2_session_callback_set(m_session, LIBSSH2_CALLBACK_RECV,
                                 reinterpret_cast<void*>(&receive_with_tap));
  }
  const int handshaken = libssh2_session_handshake(m_session, m_socket);
  *libssh2_session_abstract(m_session) = nullptr;  // the tap sees the handshake only
  if (handshaken != 0) fail_with(handshaken, "SSH handshake with " + m_endpoint.display());
  std::size_t length = 0;
  int type = 0;
  const char* key = libssh2_session_hostkey(m_session, &length, &type);
  if (key == nullptr || length == 0) {
    fail(ErrorCode::unreachable, "SSH server " + m_endpoint.display() + " sent no host key");
  }
  m_host_key.blob.assign(reinterpret_cast<const std::uint8_t*>(key),
                         reinterpret_cast<const std::uint8_t*>(key) + length);
  m_host_key.type = key_type_of_blob(m_host_key.blob);
  m_host_key.algorithm = negotiated(Method::host_key);
  m_host_key.fingerprint = sha256_fingerprint(m_host_key.blob);
}

std::string Session::server_banner() const {
  const char* banner = libssh2_session_banner_get(m_session);
  return banner != nullptr ? banner : "";
}

std::string Session::negotiated(Method method) const {
  const char* name = libssh2_session_methods(m_session, method_constant(method));
  return name != nullptr ? name : "";
}

HostKeyVerdict Session::verify_host_key(const HostKeyPolicy& policy) {
  return ssh::verify_host_key(m_endpoint.host, m_endpoint.port, m_host_key, policy);
}

std::string Session::last_error() const {
  char* message = nullptr;
  int length = 0;
  libssh2_session_last_error(m_session, &message, &length, 0);
  return message != nullptr && length > 0 ? std::string(message, static_cast<std::size_t>(length))
                                          : "unknown error";
}

void Session::fail_with(int rc, const std::string& what) const {
  switch (rc) {
    case LIBSSH2_ERROR_AUTHENTICATION_FAILED:
    case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
    case LIBSSH2_ERROR_KEYFILE_AUTH_FAILED:
    case LIBSSH2_ERROR_PASSWORD_EXPIRED:
      fail(ErrorCode::auth, what + ": " + last_error());
    case LIBSSH2_ERROR_ALLOC:
      fail(ErrorCode::internal, what + ": out of memory");
    default:
      break;
  }
  m_broken = rc != LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED && rc != LIBSSH2_ERROR_CHANNEL_FAILURE &&
             rc != LIBSSH2_ERROR_SFTP_PROTOCOL;
  if (rc == LIBSSH2_ERROR_TIMEOUT || rc == LIBSSH2_ERROR_SOCKET_TIMEOUT) {
    fail(ErrorCode::unreachable,
         what + ": no answer from " + m_endpoint.display() + " within " +
             seconds_text(m_options.timeout),
         "check that the server is up and responsive");
  }
  std::string detail = last_error();
  if (rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
      rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_BANNER_RECV) {
    detail = "the connection to " + m_endpoint.display() + " was lost (" + detail + ")";
  }
  fail(ErrorCode::unreachable, what + ": " + detail,
       "check that the SSH server at " + m_endpoint.display() + " is running and reachable");
}

std::vector<std::string> Session::auth_methods(const std::string& user) {
  // Asked once per session: a second libssh2_userauth_list leaks the first list (libssh2 1.10,
  // found by LeakSanitizer in `check ssh`, which lists the methods and then authenticates).
  if (m_auth_methods && m_auth_methods->first == user) return m_auth_methods->second;
  const char* list =
      libssh2_userauth_list(m_session, user.c_str(), static_cast<unsigned int>(user.size()));
  if (list == nullptr) {
    if (libssh2_userauth_authenticated(m_session) != 0) return {};
    fail_with(libssh2_session_last_errno(m_session),
              "list authentication methods for " + user + " at " + m_endpoint.display());
  }
  m_auth_methods.emplace(user, split_list(list));
  return m_auth_methods->second;
}

bool Session::authenticated() const { return libssh2_userauth_authenticated(m_session) != 0; }

namespace {

// A transport failure during authentication is not an authentication failure.
bool is_auth_refusal(int rc) {
  return rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED ||
         rc == LIBSSH2_ERROR_KEYFILE_AUTH_FAILED || rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED ||
         rc == LIBSSH2_ERROR_PASSWORD_EXPIRED;
}

}  // namespace

bool Session::try_key_from_memory(const Credentials& credentials, std::vector<std::string>& tried) {
  if (!credentials.private_key) return false;
  tried.emplace_back("private key from memory");
  const auto type = private_key_type(credentials.private_key->reveal());
  const auto passphrase =
      credentials.passphrase ? c_string(*credentials.passphrase) : crypto::SecretBytes(1);
  // libssh2 1.10 parses the key again when it signs, measuring it with strlen(): without a
  // terminating NUL it reads past the buffer and the signature fails at random.
  const auto key = c_string(*credentials.private_key);
  const int rc = libssh2_userauth_publickey_frommemory(
      m_session, credentials.user.c_str(), credentials.user.size(), nullptr, 0,
      reinterpret_cast<const char*>(key.data()), credentials.private_key->size(),
      reinterpret_cast<const char*>(passphrase.data()));
  if (rc == 0) return true;
  if (rc == LIBSSH2_ERROR_FILE) {
    tried.back() += " (unreadable: wrong passphrase or unsupported format)";
    return false;
  }
  if (!is_auth_refusal(rc)) fail_with(rc, "authenticate to " + m_endpoint.display());
  if (type == "ssh-rsa") m_rsa_key_refused = true;
  return false;
}

bool Session::try_key_file(const Credentials& credentials, std::vector<std::string>& tried) {
  if (credentials.identity_file.empty()) return false;
  const auto path = credentials.identity_file.string();
  std::ifstream in(credentials.identity_file, std::ios::binary);
  if (!in) {
    fail(ErrorCode::usage,
         "cannot read SSH private key file " + path + ": " + std::strerror(errno));
  }
  // Only the type is read from the content; libssh2 reads the file itself.
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  const auto type = private_key_type(head);
  std::fill(head.begin(), head.end(), '\0');
  tried.push_back("key file " + path);
  const auto public_file = path + ".pub";
  const bool have_public = std::filesystem::exists(public_file);
  const auto passphrase =
      credentials.passphrase ? c_string(*credentials.passphrase) : crypto::SecretBytes(1);
  const int rc = libssh2_userauth_publickey_fromfile_ex(
      m_session, credentials.user.c_str(), static_cast<unsigned int>(credentials.user.size()),
      have_public ? public_file.c_str() : nullptr, path.c_str(),
      reinterpret_cast<const char*>(passphrase.data()));
  if (rc == 0) return true;
  if (rc == LIBSSH2_ERROR_FILE) {
    tried.back() += " (unreadable: wrong passphrase or unsupported format)";
    return false;
  }
  if (!is_auth_refusal(rc)) fail_with(rc, "authenticate to " + m_endpoint.display());
  if (type == "ssh-rsa") m_rsa_key_refused = true;
  return false;
}

bool Session::try_agent(const Credentials& credentials, std::vector<std::string>& tried) {
  const char* socket = std::getenv("SSH_AUTH_SOCK");
  if (!credentials.use_agent || socket == nullptr || *socket == '\0') return false;
  const std::unique_ptr<LIBSSH2_AGENT, void (*)(LIBSSH2_AGENT*)> agent(
      libssh2_agent_init(m_session), [](LIBSSH2_AGENT* a) {
        libssh2_agent_disconnect(a);
        libssh2_agent_free(a);
      });
  if (!agent || libssh2_agent_connect(agent.get()) != 0) {
    tried.emplace_back("ssh-agent (cannot connect to SSH_AUTH_SOCK)");
    return false;
  }
  if (libssh2_agent_list_identities(agent.get()) != 0) {
    tried.emplace_back("ssh-agent (cannot list its keys)");
    return false;
  }
  int keys = 0;
  libssh2_agent_publickey* identity = nullptr;
  libssh2_agent_publickey* previous = nullptr;
  while (libssh2_agent_get_identity(agent.get(), &identity, previous) == 0) {
    previous = identity;
    ++keys;
    const int rc = libssh2_agent_userauth(agent.get(), credentials.user.c_str(), identity);
    if (rc == 0) return true;
    if (!is_auth_refusal(rc) && rc != LIBSSH2_ERROR_AGENT_PROTOCOL) {
      fail_with(rc, "authenticate to " + m_endpoint.display());
    }
    if (key_type_of_blob({identity->blob, identity->blob_len}) == "ssh-rsa") {
      m_rsa_key_refused = true;
    }
  }
  tried.push_back("ssh-agent (" + std::to_string(keys) + " key" + (keys == 1 ? "" : "s") + ")");
  return false;
}

bool Session::try_password(const Credentials& credentials, std::vector<std::string>& tried) {
  if (!credentials.password) return false;
  tried.emplace_back("password");
  const int rc = libssh2_userauth_password_ex(
      m_session, credentials.user.c_str(), static_cast<unsigned int>(credentials.user.size()),
      reinterpret_cast<const char*>(credentials.password->data()),
      static_cast<unsigned int>(credentials.password->size()), nullptr);
  if (rc == 0) return true;
  if (!is_auth_refusal(rc)) fail_with(rc, "authenticate to " + m_endpoint.display());
  return false;
}

void Session::authenticate(const Credentials& credentials) {
  const auto offered = auth_methods(credentials.user);
  if (authenticated()) return;
  const bool publickey = contains(offered, "publickey");
  const bool password = contains(offered, "password");
  std::vector<std::string> tried;
  if (publickey && (try_key_from_memory(credentials, tried) || try_key_file(credentials, tried) ||
                    try_agent(credentials, tried))) {
    return;
  }
  if (password && try_password(credentials, tried)) return;

  const auto who = credentials.user + "@" + m_endpoint.display();
  const auto methods = join(offered, ", ");
  if (tried.empty()) {
    fail(ErrorCode::auth,
         "cannot authenticate as " + who + ": no usable credentials (the server offers " + methods +
             ")",
         "give a private key, a running ssh-agent (SSH_AUTH_SOCK) or a password");
  }
  std::string hint = "check that the key is in the user's authorized_keys, or the password";
  if (m_rsa_key_refused) {
    hint =
        "libssh2 1.10 signs with RSA user keys only by ssh-rsa (SHA-1), which OpenSSH 8.8 and "
        "later refuse; use an ed25519 or ECDSA key (ssh-keygen -t ed25519)";
  }
  fail(ErrorCode::auth,
       "SSH authentication as " + who + " failed (tried " + join(tried, ", ") +
           "; the server offers " + methods + ")",
       hint);
}

ExecResult Session::exec(const std::string& command, std::span<const std::uint8_t> input) {
  const auto what = "run a command on " + m_endpoint.display();
  LIBSSH2_CHANNEL* raw = libssh2_channel_open_session(m_session);
  if (raw == nullptr) fail_with(libssh2_session_last_errno(m_session), what);
  Channel channel(*this, raw);
  if (const int rc = libssh2_channel_exec(raw, command.c_str()); rc != 0) fail_with(rc, what);
  std::size_t written = 0;
  while (written < input.size()) {
    written += *channel.write(input.subspan(written));
  }
  channel.send_eof();

  // Both streams are drained together: a command that fills one while ward waits on the
  // other would otherwise stall on the channel window.
  ExecResult result;
  set_blocking(false);
  struct Restore {
    Session* session;
    ~Restore() { session->set_blocking(true); }
  } restore{this};
  std::array<std::uint8_t, 16384> buffer{};
  const auto deadline = Clock::now() + m_options.timeout;
  for (;;) {
    bool progress = false;
    bool done = true;  // each stream read 0: end of stream
    for (const int stream : {0, 1}) {
      const auto n = channel.read(buffer, stream);
      if (!n) {
        done = false;
        continue;
      }
      if (*n == 0) continue;
      progress = true;
      done = false;
      auto& text = stream == 0 ? result.stdout_text : result.stderr_text;
      text.append(reinterpret_cast<const char*>(buffer.data()), *n);
    }
    if (done) break;
    if (progress) continue;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || !wait_socket(left)) fail_with(LIBSSH2_ERROR_TIMEOUT, what);
  }
  int rc = 0;
  while ((rc = libssh2_channel_close(raw)) == LIBSSH2_ERROR_EAGAIN) wait_socket(m_options.timeout);
  while ((rc = libssh2_channel_wait_closed(raw)) == LIBSSH2_ERROR_EAGAIN) {
    wait_socket(m_options.timeout);
  }
  result.exit_status = libssh2_channel_get_exit_status(raw);
  return result;
}

Channel Session::open_direct_tcpip(const std::string& host, std::uint16_t port,
                                   const std::string& origin_host, std::uint16_t origin_port) {
  LIBSSH2_CHANNEL* raw = libssh2_channel_direct_tcpip_ex(m_session, host.c_str(), port,
                                                         origin_host.c_str(), origin_port);
  if (raw == nullptr) {
    fail_with(libssh2_session_last_errno(m_session), "open a forwarded connection to " +
                                                         Endpoint{host, port}.display() +
                                                         " through " + m_endpoint.display());
  }
  return {*this, raw};
}

std::unique_ptr<Sftp> Session::open_sftp() {
  LIBSSH2_SFTP* sftp = libssh2_sftp_init(m_session);
  if (sftp == nullptr) {
    fail_with(libssh2_session_last_errno(m_session),
              "start the SFTP subsystem on " + m_endpoint.display());
  }
  return std::unique_ptr<Sftp>(new Sftp(*this, sftp));
}

void Session::set_blocking(bool blocking) {
  libssh2_session_set_blocking(m_session, blocking ? 1 : 0);
}

bool Session::wait_socket(std::chrono::milliseconds timeout) {
  const int directions = libssh2_session_block_directions(m_session);
  pollfd pfd{m_socket, 0, 0};
  if ((directions & LIBSSH2_SESSION_BLOCK_INBOUND) != 0) pfd.events |= POLLIN;
  if ((directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0) pfd.events |= POLLOUT;
  if (pfd.events == 0) pfd.events = POLLIN;
  const int rc = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  return rc > 0;
}

namespace {

// The first public key blob of an OpenSSH private key file's content (its unencrypted part).
std::optional<std::vector<std::uint8_t>> openssh_public_blob(std::string_view content) {
  constexpr std::string_view openssh_begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
  constexpr std::string_view openssh_end = "-----END OPENSSH PRIVATE KEY-----";
  const auto begin = content.find(openssh_begin);
  if (begin == std::string_view::npos) return std::nullopt;
  const auto body_start = begin + openssh_begin.size();
  const auto end = content.find(openssh_end, body_start);
  if (end == std::string_view::npos) return std::nullopt;
  crypto::SecretBytes body;
  for (const char c : content.substr(body_start, end - body_start)) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body.append(std::string_view(&c, 1));
  }
  const auto decoded = crypto::base64_decode_secret(body.reveal());
  if (!decoded) return std::nullopt;
  // openssh-key-v1\0, then strings ciphername, kdfname, kdfoptions, uint32 count, and the
  // first public key (never encrypted).
  const auto data = decoded->bytes();
  constexpr std::string_view magic{"openssh-key-v1\0", 15};
  if (data.size() < magic.size() ||
      std::string_view(reinterpret_cast<const char*>(data.data()), magic.size()) != magic) {
    return std::nullopt;
  }
  std::size_t offset = magic.size();
  const auto read_u32 = [&](std::uint32_t& value) {
    if (data.size() - offset < 4) return false;
    value = (std::uint32_t{data[offset]} << 24) | (std::uint32_t{data[offset + 1]} << 16) |
            (std::uint32_t{data[offset + 2]} << 8) | std::uint32_t{data[offset + 3]};
    offset += 4;
    return true;
  };
  std::uint32_t length = 0;
  for (int skip = 0; skip < 3; ++skip) {
    if (!read_u32(length) || data.size() - offset < length) return std::nullopt;
    offset += length;
  }
  std::uint32_t count = 0;
  if (!read_u32(count) || count == 0 || !read_u32(length) || data.size() - offset < length) {
    return std::nullopt;
  }
  const auto blob = data.subspan(offset, length);
  return std::vector<std::uint8_t>(blob.begin(), blob.end());
}

}  // namespace

std::string private_key_type(std::string_view content) {
  if (content.find("-----BEGIN RSA PRIVATE KEY-----") != std::string_view::npos) return "ssh-rsa";
  if (content.find("-----BEGIN DSA PRIVATE KEY-----") != std::string_view::npos) return "ssh-dss";
  if (content.find("-----BEGIN EC PRIVATE KEY-----") != std::string_view::npos) return "ecdsa";
  const auto blob = openssh_public_blob(content);
  if (!blob) return {};
  return key_type_of_blob(*blob);
}

std::string public_key_line(std::string_view private_key_content) {
  const auto blob = openssh_public_blob(private_key_content);
  if (!blob) return {};
  const auto type = key_type_of_blob(*blob);
  if (type.empty()) return {};
  return type + " " + crypto::base64_encode(*blob);
}

}  // namespace ward::ssh
