// SSH keys: a new Ed25519 key pair, its public half appended to the account's authorized_keys
// over SFTP (logged in with the current key), verified by logging in with the new key; the old
// key's line is removed when the grace period is over. The host key is verified as the
// credential says (hostkey or known_hosts) on every connection.
#include <algorithm>
#include <sstream>

#include "ward/check/connect.hpp"
#include "ward/error.hpp"
#include "ward/rotate/driver.hpp"
#include "ward/rotate/ssh_key.hpp"
#include "ward/ssh/session.hpp"
#include "ward/ssh/sftp.hpp"
#include "ward/util/duration.hpp"

namespace ward::rotate {
namespace {

constexpr std::string_view k_default_authorized_keys = ".ssh/authorized_keys";

std::string authorized_keys_path(const vault::CredentialVersion& credential) {
  return check::field_or(credential, "authorized_keys", std::string(k_default_authorized_keys));
}

// "type base64" of a version's key: its public_key field, or read from its private key.
std::string key_of(const vault::CredentialVersion& version) {
  std::string line = check::field_or(version, "public_key");
  if (line.empty()) {
    if (const auto key = version.secrets.find("private_key"); key != version.secrets.end()) {
      line = ssh::public_key_line(key->second.reveal());
    }
  }
  std::istringstream in(line);
  std::string type;
  std::string blob;
  in >> type >> blob;
  return blob.empty() ? std::string() : type + " " + blob;
}

// Whether an authorized_keys line authorizes `key` ("type base64"), options or not.
bool line_has_key(const std::string& line, const std::string& key) {
  const auto blob = key.substr(key.find(' ') + 1);
  std::istringstream in(line);
  std::string word;
  while (in >> word) {
    if (word == blob) return true;
  }
  return false;
}

std::string read_file(ssh::Sftp& sftp, const std::string& path) {
  ssh::SftpStatus status{};
  auto file = sftp.open(path, ssh::Sftp::OpenMode::read, &status);
  if (!file) {
    if (status == ssh::SftpStatus::no_such_file || status == ssh::SftpStatus::no_such_path) {
      return {};
    }
    fail(ErrorCode::auth, "cannot read " + path + " on the server: " + ssh::describe(status));
  }
  const auto bytes = file->read_all();
  file->close();
  return {bytes.begin(), bytes.end()};
}

void write_file(ssh::Sftp& sftp, const std::string& path, const std::string& content,
                ssh::Sftp::OpenMode mode) {
  ssh::SftpStatus status{};
  auto file = sftp.open(path, mode, &status, 0600);
  if (!file) {
    fail(ErrorCode::auth, "cannot write " + path + " on the server: " + ssh::describe(status));
  }
  file->write_all({reinterpret_cast<const std::uint8_t*>(content.data()), content.size()});
  (void)file->fsync();
  file->close();
}

// Removes every line authorizing one of `keys`, logged in as `as`.
void remove_keys(const vault::CredentialVersion& as, const std::vector<std::string>& keys,
                 const TargetContext& target) {
  auto session = check::connect_ssh(as, target.timeout);
  auto sftp = session->open_sftp();
  const auto path = authorized_keys_path(as);
  const auto content = read_file(*sftp, path);
  std::string kept;
  bool removed = false;
  std::istringstream in(content);
  for (std::string line; std::getline(in, line);) {
    const bool doomed = std::any_of(keys.begin(), keys.end(), [&](const std::string& key) {
      return !key.empty() && line_has_key(line, key);
    });
    if (doomed) {
      removed = true;
      continue;
    }
    kept += line + "\n";
  }
  if (removed) write_file(*sftp, path, kept, ssh::Sftp::OpenMode::overwrite);
}

class SshKeyDriver final : public Driver {
 public:
  [[nodiscard]] std::string name() const override { return "ssh-key"; }

  [[nodiscard]] std::string describe(const vault::CredentialVersion& credential) const override {
    return "SSH " + check::field_or(credential, "user") + "@" +
           check::field_or(credential, "host") + ":" + check::field_or(credential, "port", "22") +
           " (" + authorized_keys_path(credential) + ")";
  }

  NewSecret generate(const vault::CredentialVersion& /*current*/,
                     const std::string& /*policy*/) override {
    auto pair = generate_ed25519("ward-rotated-" + util::format_time(util::now()).substr(0, 10));
    NewSecret next;
    next.secrets["private_key"] = std::move(pair.private_key);
    next.fields["public_key"] = pair.public_key;
    return next;
  }

  void change(const vault::CredentialVersion& current, const vault::CredentialVersion& next,
              const TargetContext& target) override {
    const auto key = key_of(next);
    if (key.empty()) fail(ErrorCode::internal, "the new version has no public key");
    std::unique_ptr<ssh::Session> session;
    std::unique_ptr<ssh::Sftp> sftp;
    std::string content;
    const auto path = authorized_keys_path(current);
    try {
      session = check::connect_ssh(current, target.timeout);
      sftp = session->open_sftp();
      content = read_file(*sftp, path);
    } catch (const Error& e) {
      throw ChangeError(e, false);
    }
    std::istringstream in(content);
    for (std::string line; std::getline(in, line);) {
      if (line_has_key(line, key)) return;  // already there (a resolved earlier attempt)
    }
    const std::string addition = (content.empty() || content.back() == '\n' ? "" : "\n") +
                                 check::field_or(next, "public_key", key) + "\n";
    try {
      write_file(*sftp, path, addition, ssh::Sftp::OpenMode::append);
    } catch (const Error& e) {
      // An append that failed half-way leaves at worst a partial line, never a lost key.
      throw ChangeError(e, e.code() == ErrorCode::unreachable);
    }
  }

  Acceptance accepts(const vault::CredentialVersion& candidate,
                     const TargetContext& target) override {
    auto session = check::connect_ssh_verified(candidate, target.timeout);
    try {
      session->authenticate(check::ssh_login(candidate));
    } catch (const Error& e) {
      if (e.code() == ErrorCode::auth) return Acceptance::refused;
      throw;
    }
    return Acceptance::accepted;
  }

  void retire(const vault::CredentialVersion& current, const vault::CredentialVersion& old,
              const TargetContext& target) override {
    const auto old_key = key_of(old);
    if (old_key.empty() || old_key == key_of(current)) return;
    remove_keys(current, {old_key}, target);
  }

  void disable(const vault::CredentialVersion& current, const TargetContext& target) override {
    const auto key = key_of(current);
    if (key.empty()) {
      fail(ErrorCode::usage, "ssh credential '" + current.name +
                                 "' has no public key ward can read (OpenSSH private key "
                                 "format or a public_key field)");
    }
    remove_keys(current, {key}, target);
  }
};

}  // namespace

std::unique_ptr<Driver> make_ssh_key_driver() { return std::make_unique<SshKeyDriver>(); }

}  // namespace ward::rotate
