// `ward cred import --input-format pass`: reads a pass(1) store by running `pass show` for each
// entry, so pass's configuration (PASSWORD_STORE_GPG_OPTS, gpg2) and the user's gpg-agent decide
// how it is decrypted. The decrypted text comes back through a pipe into secret memory; it never
// touches a file.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "ward/error.hpp"
#include "ward/util/unique_fd.hpp"
#include "ward/vault/transfer.hpp"

extern char** environ;  // NOLINT: POSIX

namespace ward::vault {
namespace {

namespace fs = std::filesystem;

struct Decrypted {
  crypto::SecretBytes text;
  std::string stderr_text;
  int status = -1;
};

// `pass show -- NAME` with PASSWORD_STORE_DIR set, stdin from /dev/null, stdout and stderr read
// through pipes.
Decrypted pass_show(const std::string& directory, const std::string& name) {
  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    fail(ErrorCode::internal, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  util::UniqueFd out_read(out_pipe[0]);
  util::UniqueFd out_write(out_pipe[1]);
  util::UniqueFd err_read(err_pipe[0]);
  util::UniqueFd err_write(err_pipe[1]);

  std::vector<std::string> env_strings{"PASSWORD_STORE_DIR=" + directory};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with("PASSWORD_STORE_DIR=")) continue;
    env_strings.emplace_back(*e);
  }
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::array<std::string, 4> args{"pass", "show", "--", name};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "pass", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    fail(rc == ENOENT ? ErrorCode::not_found : ErrorCode::internal,
         std::string("cannot run pass: ") + std::strerror(rc),
         "install pass (Debian: apt install pass) to import a password store");
  }
  out_write.reset();
  err_write.reset();

  Decrypted result;
  std::array<pollfd, 2> fds{pollfd{out_read.get(), POLLIN, 0}, pollfd{err_read.get(), POLLIN, 0}};
  std::array<std::uint8_t, 4096> buffer{};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const auto n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      if (i == 0) {
        result.text.append(
            std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)));
      } else if (result.stderr_text.size() < 4096) {
        result.stderr_text.append(reinterpret_cast<const char*>(buffer.data()),
                                  static_cast<std::size_t>(n));
      }
    }
  }
  OPENSSL_cleanse(buffer.data(), buffer.size());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (const auto newline = text.rfind('\n'); newline != std::string::npos)
    text = text.substr(newline + 1);
  if (text.size() > 200) text.resize(200);
  return text;
}

bool is_field_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

// pass's convention: the password on the first line, then `key: value` lines and notes.
ImportItem parse_entry(const std::string& name, const crypto::SecretBytes& text,
                       const ImportDefaults& defaults, const std::string& origin) {
  ImportItem item;
  item.name = defaults.prefix + name;
  item.type = defaults.type;
  item.secret_field = default_secret_field(defaults.type);
  item.origin = origin;
  const auto view = text.reveal();
  std::size_t pos = 0;
  bool first = true;
  crypto::SecretBytes notes;
  while (pos < view.size()) {
    auto end = view.find('\n', pos);
    if (end == std::string_view::npos) end = view.size();
    auto line = view.substr(pos, end - pos);
    pos = end + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (first) {
      item.secrets.emplace(item.secret_field, crypto::SecretBytes::from(line));
      first = false;
      continue;
    }
    if (line.starts_with("otpauth://")) {
      item.secrets.emplace("otpauth", crypto::SecretBytes::from(line));
      continue;
    }
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && is_field_key(line.substr(0, colon))) {
      const std::string key(line.substr(0, colon));
      auto value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      if (key != item.secret_field && !item.fields.contains(key) && !item.secrets.contains(key)) {
        if (is_secret_field_name(key)) {
          item.secrets.emplace(key, crypto::SecretBytes::from(value));
        } else {
          item.fields.emplace(key, std::string(value));
        }
        continue;
      }
    }
    if (line.empty() && notes.empty()) continue;
    if (!notes.empty()) notes.append("\n");
    notes.append(line);
  }
  while (!notes.empty() && notes.reveal().back() == '\n') notes.resize(notes.size() - 1);
  if (!notes.empty()) item.secrets.emplace("notes", std::move(notes));
  return item;
}

}  // namespace

std::vector<ImportItem> read_pass_store(const std::string& directory,
                                        const ImportDefaults& defaults) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    fail(ErrorCode::not_found, "no pass store at " + directory + " (not a directory)",
         "give the store's directory, or set PASSWORD_STORE_DIR");
  }
  const auto root = fs::canonical(directory, ec);
  std::vector<std::string> names;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const auto& path = it->path();
    if (path.filename().string().starts_with('.')) {  // .git, .extensions, .gpg-id
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && path.extension() == ".gpg") {
      auto relative = fs::relative(path, root, ec).string();
      relative.resize(relative.size() - 4);
      names.push_back(std::move(relative));
    }
  }
  if (ec) {
    fail(ErrorCode::not_found, "cannot read the pass store " + directory + ": " + ec.message());
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) {
    fail(ErrorCode::not_found, "the pass store " + directory + " has no entries (*.gpg files)");
  }
  std::vector<ImportItem> items;
  items.reserve(names.size());
  for (const auto& name : names) {
    const auto origin = (root / (name + ".gpg")).string();
    auto decrypted = pass_show(root.string(), name);
    if (decrypted.status != 0) {
      const auto reason = last_line(decrypted.stderr_text);
      std::string message = "cannot decrypt pass entry ";
      message += name;
      message += " (" + origin + ")";
      if (!reason.empty()) message += ": " + reason;
      fail(ErrorCode::auth, message,
           "check that gpg holds the entry's secret key (gpg --list-secret-keys) and that "
           "gpg-agent can ask for its passphrase; nothing was imported");
    }
    if (decrypted.text.empty()) {
      fail(ErrorCode::usage, origin + ": the entry is empty", "nothing was imported");
    }
    items.push_back(parse_entry(name, decrypted.text, defaults, origin));
  }
  return items;
}

}  // namespace ward::vault
