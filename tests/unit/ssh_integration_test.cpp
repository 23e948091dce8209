// The SSH layer against a real OpenSSH sshd. Hidden from the unit run ([.sshd]): the
// integration script tests/integration/ssh_layer.sh starts sshd (tests/servers/sshd.bash) and
// runs these with its SSHD_* variables.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "test_support.hpp"
#include "ward/ssh/session.hpp"
#include "ward/ssh/sftp.hpp"

namespace {

using ward::ErrorCode;
using ward::testing::error_code_of;
using ward::testing::TempDir;
namespace ssh = ward::ssh;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') FAIL(std::string(name) + " is not set: run ssh_layer.sh");
  return value;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

ssh::Endpoint server() {
  return {env("SSHD_HOST"), static_cast<std::uint16_t>(std::stoi(env("SSHD_PORT")))};
}

ssh::HostKeyPolicy known() {
  ssh::HostKeyPolicy policy;
  policy.known_hosts = env("SSHD_KNOWN_HOSTS");
  return policy;
}

ssh::Credentials key_credentials() {
  ssh::Credentials credentials;
  credentials.user = env("SSHD_USER");
  credentials.identity_file = env("SSHD_KEY");
  credentials.use_agent = false;
  return credentials;
}

std::unique_ptr<ssh::Session> logged_in() {
  auto session = ssh::Session::connect(server(), {}, known());
  session->authenticate(key_credentials());
  return session;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ward::Error& e) {
    return std::string(e.what()) + "\n" + e.hint();
  }
  return {};
}

// A loopback socket that accepts connections (the kernel completes them) and never speaks.
struct SilentListener {
  int fd = -1;
  std::uint16_t port = 0;
  explicit SilentListener(int family) {
    fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    sockaddr_storage address{};
    socklen_t length = 0;
    if (family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&address);
      in->sin_family = AF_INET;
      in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      length = sizeof(sockaddr_in);
    } else {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
      in6->sin6_family = AF_INET6;
      in6->sin6_addr = in6addr_loopback;
      length = sizeof(sockaddr_in6);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd, 8) != 0) {
      ::close(fd);
      fd = -1;
      return;
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                   : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  ~SilentListener() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

TEST_CASE("ssh: handshake, host key and its fingerprint", "[.sshd]") {
  auto session = ssh::Session::connect(server(), {}, known());
  // ward prefers ed25519 host keys.
  REQUIRE(session->host_key().type == "ssh-ed25519");
  REQUIRE(session->host_key().fingerprint == env("SSHD_HOSTKEY_FP"));
  REQUIRE(session->server_banner().rfind("SSH-2.0-OpenSSH", 0) == 0);
  REQUIRE_FALSE(session->negotiated(ssh::Session::Method::kex).empty());

  ssh::SessionOptions ecdsa;
  ecdsa.host_key_algorithms = "ecdsa-sha2-nistp256";
  auto other = ssh::Session::connect(server(), ecdsa, known());
  REQUIRE(other->host_key().type == "ecdsa-sha2-nistp256");
  REQUIRE(other->host_key().fingerprint != session->host_key().fingerprint);
}

TEST_CASE("ssh: host key verification refuses a changed or unknown key", "[.sshd]") {
  TempDir dir;
  // A known_hosts that lists another ed25519 key for this server.
  const auto wrong = (dir.path() / "wrong_known_hosts").string();
  std::ofstream(wrong)
      << "[" << env("SSHD_HOST") << "]:" << env("SSHD_PORT")
      << " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGUOtdMGnC53xMUtIpYdWuSbHRCO8oR3VFUkKhAnP4MV\n";
  ssh::HostKeyPolicy policy;
  policy.known_hosts = wrong;
  policy.accept_unknown = true;  // never accepts a key that contradicts the file
  const auto message = message_of([&] { (void)ssh::Session::connect(server(), {}, policy); });
  REQUIRE(message.find(env("SSHD_HOSTKEY_FP")) != std::string::npos);
  REQUIRE(message.find("SHA256:qqUA/f0wZBgWBbUuf8ct7auJCq2r8s9/dem5h/Rg59k") != std::string::npos);
  REQUIRE(error_code_of([&] { (void)ssh::Session::connect(server(), {}, policy); }) ==
          ErrorCode::auth);

  // Unknown: refused, then accepted on request and recorded, then known.
  const auto fresh = dir.path() / "fresh_known_hosts";
  ssh::HostKeyPolicy unknown;
  unknown.known_hosts = fresh;
  REQUIRE(error_code_of([&] { (void)ssh::Session::connect(server(), {}, unknown); }) ==
          ErrorCode::auth);
  unknown.accept_unknown = true;
  REQUIRE(ssh::Session::connect(server(), {})->verify_host_key(unknown) ==
          ssh::HostKeyVerdict::accepted_new);
  unknown.accept_unknown = false;
  REQUIRE(ssh::Session::connect(server(), {})->verify_host_key(unknown) ==
          ssh::HostKeyVerdict::known);

  // An expected fingerprint.
  ssh::HostKeyPolicy pinned;
  pinned.expected_fingerprint = env("SSHD_HOSTKEY_FP");
  REQUIRE(ssh::Session::connect(server(), {}, pinned)->host_key().type == "ssh-ed25519");
  pinned.expected_fingerprint = "SHA256:qqUA/f0wZBgWBbUuf8ct7auJCq2r8s9/dem5h/Rg59k";
  REQUIRE(error_code_of([&] { (void)ssh::Session::connect(server(), {}, pinned); }) ==
          ErrorCode::auth);
}

TEST_CASE("ssh: a known_hosts that lists only the ECDSA key makes the handshake prefer it",
          "[.sshd]") {
  TempDir dir;
  const auto file = dir.path() / "ecdsa_only";
  std::ofstream out(file);
  std::istringstream lines(read_text(env("SSHD_KNOWN_HOSTS")));
  for (std::string line; std::getline(lines, line);) {
    if (line.find("ecdsa-sha2") != std::string::npos) out << line << "\n";
  }
  out.close();
  ssh::HostKeyPolicy policy;
  policy.known_hosts = file;
  auto session = ssh::Session::connect(server(), {}, policy);
  REQUIRE(session->host_key().type == "ecdsa-sha2-nistp256");
}

TEST_CASE("ssh: authentication by key file, key in memory and password", "[.sshd]") {
  {
    auto session = ssh::Session::connect(server(), {}, known());
    const auto methods = session->auth_methods(env("SSHD_USER"));
    REQUIRE(std::find(methods.begin(), methods.end(), "publickey") != methods.end());
    REQUIRE(std::find(methods.begin(), methods.end(), "password") != methods.end());
    session->authenticate(key_credentials());
    REQUIRE(session->authenticated());
  }
  {
    auto session = ssh::Session::connect(server(), {}, known());
    ssh::Credentials credentials;
    credentials.user = env("SSHD_USER");
    credentials.private_key = ward::crypto::SecretBytes::from(read_text(env("SSHD_KEY")));
    credentials.use_agent = false;
    session->authenticate(credentials);
    REQUIRE(session->authenticated());
  }
  {
    auto session = ssh::Session::connect(server(), {}, known());
    ssh::Credentials credentials;
    credentials.user = env("SSHD_USER");
    auto password = read_text(env("SSHD_PASSWORD_FILE"));
    password.pop_back();  // the newline
    credentials.password = ward::crypto::SecretBytes::from(password);
    credentials.use_agent = false;
    session->authenticate(credentials);
    REQUIRE(session->authenticated());
  }
}

TEST_CASE("ssh: refused credentials are an auth error that names what was tried", "[.sshd]") {
  ssh::Credentials credentials;
  credentials.user = env("SSHD_USER");
  credentials.use_agent = false;
  credentials.password = ward::crypto::SecretBytes::from("not-the-password-xyz");
  credentials.identity_file = env("WARD_TEST_OTHER_KEY");  // an ed25519 key not authorized
  auto session = ssh::Session::connect(server(), {}, known());
  const auto message = message_of([&] { session->authenticate(credentials); });
  REQUIRE(message.find("authentication as " + env("SSHD_USER")) != std::string::npos);
  REQUIRE(message.find("password") != std::string::npos);
  REQUIRE(message.find("not-the-password-xyz") == std::string::npos);
  auto again = ssh::Session::connect(server(), {}, known());
  REQUIRE(error_code_of([&] { again->authenticate(credentials); }) == ErrorCode::auth);

  // No credentials at all.
  ssh::Credentials none;
  none.user = env("SSHD_USER");
  none.use_agent = false;
  auto third = ssh::Session::connect(server(), {}, known());
  REQUIRE(error_code_of([&] { third->authenticate(none); }) == ErrorCode::auth);
}

TEST_CASE("ssh: an RSA user key refused by OpenSSH gets a hint towards ed25519", "[.sshd]") {
  ssh::Credentials credentials;
  credentials.user = env("SSHD_USER");
  credentials.use_agent = false;
  credentials.identity_file = env("WARD_TEST_RSA_KEY");  // authorized, but signed with SHA-1
  auto session = ssh::Session::connect(server(), {}, known());
  const auto message = message_of([&] { session->authenticate(credentials); });
  REQUIRE(message.find("ed25519") != std::string::npos);
  REQUIRE(message.find("OpenSSH 8.8") != std::string::npos);
}

TEST_CASE("ssh: exec collects output and exit status", "[.sshd]") {
  auto session = logged_in();
  const auto result = session->exec("echo out; echo err >&2; exit 3");
  REQUIRE(result.stdout_text == "out\n");
  REQUIRE(result.stderr_text == "err\n");
  REQUIRE(result.exit_status == 3);
  const std::string input = "line one\nline two\n";
  const auto echoed =
      session->exec("cat", {reinterpret_cast<const std::uint8_t*>(input.data()), input.size()});
  REQUIRE(echoed.stdout_text == input);
  REQUIRE(echoed.exit_status == 0);
  // Much output on both streams at once does not stall.
  const auto big = session->exec("head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2");
  REQUIRE(big.stdout_text.size() == 3000000);
  REQUIRE(big.stderr_text.size() == 3000000);
}

TEST_CASE("ssh: a direct-tcpip channel reaches a port behind the server", "[.sshd]") {
  auto session = logged_in();
  // The server's own SSH port is the one service surely listening behind it.
  auto channel = session->open_direct_tcpip(
      env("SSHD_HOST"), static_cast<std::uint16_t>(std::stoi(env("SSHD_PORT"))));
  std::array<std::uint8_t, 64> buffer{};
  const auto n = channel.read(buffer);
  REQUIRE(n);
  REQUIRE(std::string(reinterpret_cast<const char*>(buffer.data()), *n).rfind("SSH-2.0-", 0) == 0);
  // A port nobody listens on: the server refuses the channel.
  REQUIRE(error_code_of([&] { (void)session->open_direct_tcpip("127.0.0.1", 1); }) ==
          ErrorCode::unreachable);
}

TEST_CASE("ssh: SFTP rename never replaces an existing file on OpenSSH", "[.sshd]") {
  auto session = logged_in();
  auto sftp = session->open_sftp();
  const auto base = env("SSHD_HOME") + "/sftp-layer";
  REQUIRE(sftp->mkdir(base) == ssh::SftpStatus::ok);
  REQUIRE(sftp->mkdir(base) != ssh::SftpStatus::ok);  // exists
  const auto write = [&](const std::string& path, const std::string& text) {
    ssh::SftpStatus status{};
    auto file = sftp->open(path, ssh::Sftp::OpenMode::create_exclusive, &status);
    REQUIRE(file);
    file->write_all({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    REQUIRE(file->fsync());  // fsync@openssh.com
    file->close();
  };
  write(base + "/a.tmp", "first");
  REQUIRE(sftp->rename(base + "/a.tmp", base + "/a") == ssh::SftpStatus::ok);
  write(base + "/b.tmp", "second");
  REQUIRE(sftp->rename(base + "/b.tmp", base + "/a") != ssh::SftpStatus::ok);
  ssh::SftpStatus status{};
  auto file = sftp->open(base + "/a", ssh::Sftp::OpenMode::read, &status);
  REQUIRE(file);
  const auto content = file->read_all();
  REQUIRE(std::string(content.begin(), content.end()) == "first");
  // Exclusive create refuses an existing name.
  REQUIRE_FALSE(sftp->open(base + "/a", ssh::Sftp::OpenMode::create_exclusive, &status));
  REQUIRE_FALSE(sftp->open(base + "/missing", ssh::Sftp::OpenMode::read, &status));
  REQUIRE(status == ssh::SftpStatus::no_such_file);

  const auto entries = sftp->list_directory(base);
  REQUIRE(entries);
  REQUIRE(entries->size() == 2);
  REQUIRE_FALSE(sftp->list_directory(base + "/nope"));
  REQUIRE(sftp->stat(base + "/a")->size == 5);
  REQUIRE(sftp->stat(base + "/a")->is_regular());
  REQUIRE(sftp->stat(base)->is_directory());
  REQUIRE_FALSE(sftp->stat(base + "/nope"));
  REQUIRE(sftp->unlink(base + "/a") == ssh::SftpStatus::ok);
  REQUIRE(sftp->unlink(base + "/a") == ssh::SftpStatus::no_such_file);
  REQUIRE(sftp->realpath(".").front() == '/');
}

TEST_CASE("ssh: a server that accepts and never speaks times out as unreachable", "[.sshd]") {
  SilentListener silent(AF_INET);
  REQUIRE(silent.fd >= 0);
  ssh::SessionOptions options;
  options.timeout = std::chrono::milliseconds(700);
  const auto start = std::chrono::steady_clock::now();
  const auto message = message_of([&] {
    (void)ssh::Session::connect({"127.0.0.1", silent.port}, options, known());
  });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(message.find("no answer") != std::string::npos);
  REQUIRE(elapsed < std::chrono::seconds(5));
  REQUIRE(error_code_of([&] {
            (void)ssh::Session::connect({"127.0.0.1", silent.port}, options, known());
          }) == ErrorCode::unreachable);
}

TEST_CASE("ssh: closed ports, unknown hosts and IPv6 literals", "[.sshd]") {
  REQUIRE(error_code_of([] {
            (void)ssh::tcp_connect({"127.0.0.1", 1}, std::chrono::milliseconds(2000));
          }) == ErrorCode::unreachable);
  REQUIRE(error_code_of([] {
            (void)ssh::tcp_connect({"no-such-host.invalid", 22}, std::chrono::milliseconds(2000));
          }) == ErrorCode::unreachable);
  SilentListener v6(AF_INET6);
  if (v6.fd < 0) {
    WARN("this machine has no IPv6 loopback; the IPv6 literal was not exercised");
    return;
  }
  const int fd = ssh::tcp_connect({"::1", v6.port}, std::chrono::milliseconds(2000));
  REQUIRE(fd >= 0);
  ::close(fd);
}
