#include "ward/ssh/host_key.hpp"

#include <fcntl.h>
#include <libssh2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "library.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/hash.hpp"
#include "ward/error.hpp"

namespace ward::ssh {
namespace {

namespace fs = std::filesystem;

// The key types libssh2_knownhost knows, with their typemask bits.
struct KnownType {
  const char* name;
  int mask;
};
constexpr std::array<KnownType, 6> k_known_types{{
    {"ssh-ed25519", LIBSSH2_KNOWNHOST_KEY_ED25519},
    {"ecdsa-sha2-nistp256", LIBSSH2_KNOWNHOST_KEY_ECDSA_256},
    {"ecdsa-sha2-nistp384", LIBSSH2_KNOWNHOST_KEY_ECDSA_384},
    {"ecdsa-sha2-nistp521", LIBSSH2_KNOWNHOST_KEY_ECDSA_521},
    {"ssh-rsa", LIBSSH2_KNOWNHOST_KEY_SSHRSA},
    {"ssh-dss", LIBSSH2_KNOWNHOST_KEY_SSHDSS},
}};

int key_mask_of(const std::string& type) {
  for (const auto& known : k_known_types) {
    if (type == known.name) return known.mask;
  }
  return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
}

std::string unpadded_base64(std::span<const std::uint8_t> data) {
  auto text = crypto::base64_encode(data);
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

std::string fingerprint_of_base64_key(const char* base64) {
  if (base64 == nullptr) return "(unknown)";
  const auto blob = crypto::base64_decode(base64);
  return blob ? sha256_fingerprint(*blob) : "(unreadable)";
}

}  // namespace

std::string sha256_fingerprint(std::span<const std::uint8_t> blob) {
  return "SHA256:" + unpadded_base64(crypto::sha256(blob));
}

std::string key_type_of_blob(std::span<const std::uint8_t> blob) {
  if (blob.size() < 4) return {};
  const std::size_t length = (std::size_t{blob[0]} << 24) | (std::size_t{blob[1]} << 16) |
                             (std::size_t{blob[2]} << 8) | std::size_t{blob[3]};
  if (length == 0 || length > 64 || length > blob.size() - 4) return {};
  return {reinterpret_cast<const char*>(blob.data() + 4), length};
}

std::optional<std::string> parse_fingerprint(std::string_view text) {
  constexpr std::string_view prefix = "SHA256:";
  if (!text.starts_with(prefix)) return std::nullopt;
  std::string body(text.substr(prefix.size()));
  while (!body.empty() && body.back() == '=') body.pop_back();
  if (body.size() != 43) return std::nullopt;  // 32 bytes, unpadded
  const auto digest = crypto::base64_decode(body + "=");
  if (!digest || digest->size() != 32) return std::nullopt;
  return "SHA256:" + unpadded_base64(*digest);
}

std::string known_hosts_name(const std::string& host, std::uint16_t port) {
  if (port == 22) return host;
  return "[" + host + "]:" + std::to_string(port);
}

struct KnownHosts::Impl {
  LIBSSH2_SESSION* session = nullptr;
  LIBSSH2_KNOWNHOSTS* hosts = nullptr;
  Impl() {
    detail::ensure_library();
    // libssh2_knownhost needs a session only for its allocator; it never connects.
    session = libssh2_session_init();
    if (session != nullptr) hosts = libssh2_knownhost_init(session);
    if (hosts == nullptr) fail(ErrorCode::internal, "cannot initialise libssh2's known_hosts");
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (hosts != nullptr) libssh2_knownhost_free(hosts);
    if (session != nullptr) libssh2_session_free(session);
  }
  [[nodiscard]] int check(const std::string& name, std::span<const std::uint8_t> key, int mask,
                          libssh2_knownhost** entry) const {
    return libssh2_knownhost_checkp(
        hosts, name.c_str(), -1, reinterpret_cast<const char*>(key.data()), key.size(),
        LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | mask, entry);
  }
};

KnownHosts::KnownHosts(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
KnownHosts::KnownHosts(KnownHosts&&) noexcept = default;
KnownHosts& KnownHosts::operator=(KnownHosts&&) noexcept = default;
KnownHosts::~KnownHosts() = default;

KnownHosts KnownHosts::load(const fs::path& file) {
  KnownHosts known(std::make_unique<Impl>());
  std::ifstream in(file);
  if (!in) {
    if (errno == ENOENT || !fs::exists(file)) return known;
    fail(ErrorCode::usage,
         "cannot read known_hosts file " + file.string() + ": " + std::strerror(errno));
  }
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    // libssh2 cannot parse markers (@cert-authority, @revoked) or newer key types; OpenSSH
    // would not use such a line to accept this key either, so skipping it is safe.
    if (line[start] == '@' ||
        libssh2_knownhost_readline(known.m_impl->hosts, line.c_str() + start, line.size() - start,
                                   LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
      ++known.m_skipped;
      continue;
    }
    ++known.m_entries;
  }
  return known;
}

HostKeyMatch KnownHosts::check(const std::string& host, std::uint16_t port, const HostKey& key,
                               std::string* listed_fingerprint) const {
  const int mask = key_mask_of(key.type);
  if (mask == LIBSSH2_KNOWNHOST_KEY_UNKNOWN) return HostKeyMatch::unknown;
  libssh2_knownhost* entry = nullptr;
  switch (m_impl->check(known_hosts_name(host, port), key.blob, mask, &entry)) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
      return HostKeyMatch::match;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
      if (listed_fingerprint != nullptr) {
        *listed_fingerprint =
            entry != nullptr ? fingerprint_of_base64_key(entry->key) : "(unknown)";
      }
      return HostKeyMatch::mismatch;
    default:
      return HostKeyMatch::unknown;
  }
}

std::vector<std::string> KnownHosts::known_types(const std::string& host,
                                                 std::uint16_t port) const {
  // A probe key that matches nothing: a listed host answers "mismatch" for each type it has.
  static constexpr std::array<std::uint8_t, 1> probe{0};
  std::vector<std::string> types;
  const auto name = known_hosts_name(host, port);
  for (const auto& known : k_known_types) {
    libssh2_knownhost* entry = nullptr;
    if (m_impl->check(name, probe, known.mask, &entry) == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
      types.emplace_back(known.name);
    }
  }
  return types;
}

void KnownHosts::append(const fs::path& file, const std::string& host, std::uint16_t port,
                        const HostKey& key) {
  const int mask = key_mask_of(key.type);
  if (mask == LIBSSH2_KNOWNHOST_KEY_UNKNOWN) {
    fail(ErrorCode::usage, "cannot record a " + key.type + " host key in " + file.string() +
                               ": libssh2 does not support that key type in known_hosts");
  }
  const Impl impl;
  libssh2_knownhost* entry = nullptr;
  const auto name = known_hosts_name(host, port);
  if (libssh2_knownhost_addc(
          impl.hosts, name.c_str(), nullptr, reinterpret_cast<const char*>(key.blob.data()),
          key.blob.size(), nullptr, 0,
          LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | mask, &entry) != 0) {
    fail(ErrorCode::internal, "cannot format a known_hosts entry for " + name);
  }
  std::array<char, 4096> line{};
  std::size_t length = 0;
  if (libssh2_knownhost_writeline(impl.hosts, entry, line.data(), line.size(), &length,
                                  LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
    fail(ErrorCode::internal, "cannot format a known_hosts entry for " + name);
  }
  std::string text(line.data(), length);
  if (text.empty() || text.back() != '\n') text.push_back('\n');

  std::error_code ec;
  if (file.has_parent_path() && !fs::exists(file.parent_path(), ec)) {
    fs::create_directories(file.parent_path(), ec);
    if (!ec) ::chmod(file.parent_path().c_str(), 0700);
  }
  const int fd = ::open(file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    fail(ErrorCode::usage,
         "cannot record the host key in " + file.string() + ": " + std::strerror(errno));
  }
  // A file whose last line lacks its newline would otherwise swallow our entry.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    char last = '\n';
    if (::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') text.insert(0, "\n");
  }
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    fail(ErrorCode::usage,
         "cannot record the host key in " + file.string() + ": " + std::strerror(saved));
  }
}

HostKeyVerdict verify_host_key(const std::string& host, std::uint16_t port, const HostKey& key,
                               const HostKeyPolicy& policy) {
  const auto where = known_hosts_name(host, port);
  const auto offered = key.type + " " + key.fingerprint;
  if (!policy.expected_fingerprint.empty()) {
    const auto expected = parse_fingerprint(policy.expected_fingerprint);
    if (!expected) {
      fail(ErrorCode::usage,
           "invalid expected host key fingerprint '" + policy.expected_fingerprint + "'",
           "write it as ssh-keygen -l prints it: SHA256:<43 base64 characters>");
    }
    if (*expected != key.fingerprint) {
      fail(ErrorCode::auth,
           "host key of " + where + " does not match: the server offered " + offered +
               ", expected " + *expected,
           "if the server's key was replaced on purpose, update the expected fingerprint; "
           "otherwise someone may be intercepting the connection");
    }
    return HostKeyVerdict::fingerprint;
  }

  const auto file = policy.known_hosts.string();
  const auto known = KnownHosts::load(policy.known_hosts);
  std::string expected;
  const auto match = known.check(host, port, key, &expected);
  if (match == HostKeyMatch::match) return HostKeyVerdict::known;
  if (match == HostKeyMatch::mismatch) {
    fail(ErrorCode::auth,
         "host key of " + where + " does not match " + file + ": the server offered " + offered +
             ", expected " + key.type + " " + expected,
         "if the server's key was replaced on purpose, remove the old entry (ssh-keygen -R '" +
             where + "' -f " + file + "); otherwise someone may be intercepting the connection");
  }
  if (!policy.accept_unknown) {
    fail(ErrorCode::auth,
         "host key of " + where + " is not known: the server offered " + offered + " and " +
             (file.empty() ? std::string("no known_hosts file was given")
                           : file + " does not list it"),
         "compare the fingerprint with the one the server's administrator gives you, then add "
         "the key to the known_hosts file (ssh-keyscan) or accept it explicitly");
  }
  if (policy.record_accepted && !policy.known_hosts.empty()) {
    KnownHosts::append(policy.known_hosts, host, port, key);
  }
  return HostKeyVerdict::accepted_new;
}

}  // namespace ward::ssh
