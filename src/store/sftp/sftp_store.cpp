#include "ward/store/sftp_store.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/crypto/secret.hpp"
#include "ward/error.hpp"
#include "ward/ssh/session.hpp"
#include "ward/ssh/sftp.hpp"

namespace ward::store {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_temp_dir = ".tmp";
// Batches run on up to this many SSH connections at once: each request waits a round trip (and
// a put an fsync on the server), so a few in flight hide that latency, as sftp's own pipelining
// does within one file. One connection serves every call outside a batch.
constexpr std::size_t k_max_connections = 4;
// Objects per connection below which a batch does not pay for another login.
constexpr std::size_t k_objects_per_connection = 16;

// One logged-in SSH session and its SFTP channel; the channel goes first.
struct Connection {
  std::unique_ptr<ssh::Session> session;
  std::unique_ptr<ssh::Sftp> sftp;
};

std::string current_user() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
  if (const passwd* entry = ::getpwuid(::geteuid()); entry != nullptr) return entry->pw_name;
  return "root";
}

fs::path home_directory() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  if (const passwd* entry = ::getpwuid(::geteuid()); entry != nullptr) return entry->pw_dir;
  return "/";
}

crypto::SecretBytes read_password_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::usage, "cannot read SSH password file " + path);
  crypto::SecretBytes password;
  std::array<char, 256> buffer{};
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
    password.append(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  std::fill(buffer.begin(), buffer.end(), '\0');
  auto text = password.reveal();
  std::size_t keep = text.size();
  if (keep > 0 && text[keep - 1] == '\n') --keep;
  if (keep > 0 && text[keep - 1] == '\r') --keep;
  password.resize(keep);
  if (password.empty()) fail(ErrorCode::usage, "SSH password file " + path + " is empty");
  return password;
}

bool is_missing(ssh::SftpStatus status) {
  return status == ssh::SftpStatus::no_such_file || status == ssh::SftpStatus::no_such_path;
}

class SftpStore final : public ObjectStore {
 public:
  SftpStore(std::string url, SftpUrl parts, StoreOptions options)
      : m_url(std::move(url)), m_parts(std::move(parts)), m_options(std::move(options)) {
    while (m_url.size() > 1 && m_url.back() == '/') m_url.pop_back();
  }

  [[nodiscard]] std::string url() const override { return m_url; }

  bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) override {
    validate_object_name(name);
    bool attempted = false;
    return with_retry("write " + name, [&](ssh::Sftp& sftp) {
      // A retry after a lost connection cannot tell whether the first rename happened: an
      // object that holds exactly our bytes is ours (ciphertexts never repeat).
      if (attempted) {
        if (auto existing = read(sftp, name); existing) {
          return std::equal(existing->begin(), existing->end(), data.begin(), data.end());
        }
      }
      attempted = true;
      return put_once(sftp, name, data);
    });
  }

  std::optional<Bytes> get(const std::string& name) override {
    validate_object_name(name);
    return with_retry("read " + name, [&](ssh::Sftp& sftp) { return read(sftp, name); });
  }

  std::vector<GetResult> get_batch(const std::vector<std::string>& names) override {
    std::vector<GetResult> out(names.size());
    // Each object by the base rule (a damaged object is its own result; an unreachable store
    // ends the batch), many at a time.
    run_parallel(names.size(), [&](std::size_t i) {
      out[i] = std::move(ObjectStore::get_batch({names[i]}).front());
    });
    return out;
  }

  std::vector<bool> put_batch(const std::vector<PutRequest>& requests) override {
    std::vector<char> written(requests.size(), 0);
    run_parallel(requests.size(), [&](std::size_t i) {
      written[i] = put_if_absent(requests[i].name, requests[i].data) ? 1 : 0;
    });
    return {written.begin(), written.end()};
  }

  void remove_batch(const std::vector<std::string>& names) override {
    run_parallel(names.size(), [&](std::size_t i) { remove(names[i]); });
  }

  bool contains(const std::string& name) override {
    validate_object_name(name);
    return with_retry("look up " + name, [&](ssh::Sftp& sftp) {
      const auto attributes = sftp.stat(path_of(name));
      return attributes && attributes->is_regular();
    });
  }

  std::vector<std::string> list(const std::string& prefix) override {
    std::string directory = prefix;
    while (!directory.empty() && directory.back() == '/') directory.pop_back();
    return with_retry("list " + (directory.empty() ? std::string(".") : directory),
                      [&](ssh::Sftp& sftp) {
                        std::vector<std::string> names;
                        walk(sftp, directory, names);
                        std::sort(names.begin(), names.end());
                        return names;
                      });
  }

  void remove(const std::string& name) override {
    validate_object_name(name);
    with_retry("remove " + name, [&](ssh::Sftp& sftp) {
      const auto status = sftp.unlink(path_of(name));
      if (status != ssh::SftpStatus::ok && !is_missing(status)) failure("remove", name, status);
      return true;
    });
  }

  std::size_t remove_stale_temporaries(std::chrono::seconds older_than) override {
    return with_retry("clean up temporary files", [&](ssh::Sftp& sftp) {
      const auto directory = path_of(k_temp_dir);
      const auto entries = sftp.list_directory(directory);
      if (!entries) return std::size_t{0};
      // mtime is the server's clock: the age margin (an hour for every command) must exceed
      // the skew between it and ours, or a live writer's file could look stale. SFTP times
      // are whole seconds, so "at least this old" (not "older than") lets an age of 0 s
      // clear a file written earlier in the current second.
      const auto now = static_cast<std::uint64_t>(::time(nullptr));
      const auto cutoff = now - std::min<std::uint64_t>(now, older_than.count());
      std::size_t removed = 0;
      for (const auto& entry : *entries) {
        if (!entry.name.ends_with(".tmp") || !entry.attributes.is_regular()) continue;
        if (entry.attributes.mtime > cutoff) continue;
        if (sftp.unlink(directory + "/" + entry.name) == ssh::SftpStatus::ok) ++removed;
      }
      return removed;
    });
  }

  bool create() override {
    return with_retry("create the store", [&](ssh::Sftp& sftp) {
      make_directories(sftp, m_parts.path);
      make_directories(sftp, path_of(k_temp_dir));
      const auto entries = sftp.list_directory(m_parts.path);
      if (!entries) failure("list", ".", ssh::SftpStatus::no_such_file);
      return std::none_of(entries->begin(), entries->end(),
                          [](const ssh::SftpEntry& e) { return e.name != k_temp_dir; });
    });
  }

  bool exists() override {
    return with_retry("look up the store", [&](ssh::Sftp& sftp) {
      const auto attributes = sftp.stat(m_parts.path);
      return attributes && attributes->is_directory();
    });
  }

 private:
  [[nodiscard]] std::string path_of(const std::string& name) const {
    return m_parts.path + "/" + name;
  }

  [[noreturn]] void failure(const char* what, const std::string& name,
                            ssh::SftpStatus status) const {
    fail(ErrorCode::unreachable,
         std::string("cannot ") + what + " " + name + " in store " + m_url + ": " +
             ssh::describe(status),
         status == ssh::SftpStatus::permission_denied
             ? "check that " + m_parts.user + " may write below " + m_parts.path + " on the server"
             : "");
  }

  // Runs `op` on a connected SFTP session. A connection lost during an operation that had a
  // working connection is reopened once and the operation retried; every operation here is
  // idempotent (put_if_absent through its own check). One libssh2 session must not be used
  // from two threads at once, so each operation leases a connection of its own from the pool.
  template <typename Op>
  auto with_retry(const std::string& what, Op&& op) -> decltype(op(std::declval<ssh::Sftp&>())) {
    Lease lease(*this);
    try {
      return op(lease.sftp());
    } catch (const Error& e) {
      if (e.code() != ErrorCode::unreachable || !lease.broken()) throw;
    }
    lease.disconnect();
    try {
      return op(lease.sftp());
    } catch (const Error& e) {
      if (e.code() != ErrorCode::unreachable) throw;
      fail(ErrorCode::unreachable,
           "cannot " + what + " in store " + m_url + ": " + e.what() +
               " (the connection was lost and reconnecting did not help)",
           e.hint());
    }
  }

  // Calls `task(i)` for every i below `count`, on up to k_max_connections threads when the
  // batch is large enough to pay for more logins. The first error stops the batch and is
  // rethrown once every thread has finished.
  template <typename Task>
  void run_parallel(std::size_t count, Task&& task) {
    const auto threads = std::min(
        k_max_connections, (count + k_objects_per_connection - 1) / k_objects_per_connection);
    if (threads <= 1) {
      for (std::size_t i = 0; i < count; ++i) task(i);
      return;
    }
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    std::exception_ptr first_error;
    std::mutex error_mutex;
    const auto work = [&] {
      for (;;) {
        const auto i = next.fetch_add(1);
        if (i >= count || stop.load()) return;
        try {
          task(i);
        } catch (...) {
          const std::lock_guard lock(error_mutex);
          if (!first_error) first_error = std::current_exception();
          stop.store(true);
          return;
        }
      }
    };
    {
      std::vector<std::jthread> pool;
      for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
      work();
    }
    if (first_error) std::rethrow_exception(first_error);
  }

  // A connection taken from the pool for one operation (opened on first use), given back
  // afterwards unless its transport failed.
  class Lease {
   public:
    explicit Lease(SftpStore& store) : m_store(store), m_connection(store.take_connection()) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { m_store.give_back(std::move(m_connection)); }
    ssh::Sftp& sftp() {
      if (!m_connection->sftp) m_store.connect(*m_connection);
      return *m_connection->sftp;
    }
    [[nodiscard]] bool broken() const {
      return m_connection->session && m_connection->session->broken();
    }
    void disconnect() {
      m_connection->sftp.reset();
      m_connection->session.reset();
    }

   private:
    SftpStore& m_store;
    std::unique_ptr<Connection> m_connection;
  };

  std::unique_ptr<Connection> take_connection() {
    std::unique_lock lock(m_pool_mutex);
    m_pool_changed.wait(lock, [&] { return !m_idle.empty() || m_leased < k_max_connections; });
    ++m_leased;
    if (m_idle.empty()) return std::make_unique<Connection>();
    auto connection = std::move(m_idle.back());
    m_idle.pop_back();
    return connection;
  }

  void give_back(std::unique_ptr<Connection> connection) {
    {
      const std::lock_guard lock(m_pool_mutex);
      --m_leased;
      if (connection->sftp && !connection->session->broken()) {
        m_idle.push_back(std::move(connection));
      }
    }
    m_pool_changed.notify_one();
  }

  void connect(Connection& connection) {
    const ssh::Endpoint endpoint{m_parts.host, m_parts.port};
    ssh::SessionOptions session_options;
    session_options.timeout = m_options.timeout;
    ssh::HostKeyPolicy policy;
    policy.known_hosts = m_options.ssh_known_hosts.empty()
                             ? home_directory() / ".ssh" / "known_hosts"
                             : fs::path(m_options.ssh_known_hosts);
    policy.accept_unknown = m_options.accept_new_host_key;
    policy.record_accepted = true;
    try {
      connection.session = ssh::Session::connect(endpoint, session_options, policy);
      connection.session->authenticate(credentials());
      connection.sftp = connection.session->open_sftp();
    } catch (const Error& e) {
      connection.sftp.reset();
      connection.session.reset();
      std::string hint = e.hint();
      const std::string message = e.what();
      if (e.code() == ErrorCode::auth && message.find("is not known") != std::string::npos) {
        hint =
            "compare the fingerprint with the server's, then record it with `ward init "
            "--accept-new-hostkey` (for a new store) or `ssh-keyscan -p " +
            std::to_string(m_parts.port) + " " + m_parts.host + " >> " +
            policy.known_hosts.string() + "`; point ward at another file with " +
            "--ssh-known-hosts";
      } else if (e.code() == ErrorCode::auth &&
                 message.find("authentication") != std::string::npos &&
                 hint.find("ed25519") == std::string::npos) {
        hint =
            "give a key with --ssh-identity (WARD_SSH_IDENTITY), a password file with "
            "--ssh-password-file (WARD_SSH_PASSWORD_FILE), or run an ssh-agent";
      }
      throw Error(e.code(), "cannot open store " + m_url + ": " + message, hint);
    }
  }

  [[nodiscard]] ssh::Credentials credentials() const {
    ssh::Credentials credentials;
    credentials.user = m_parts.user;
    credentials.use_agent = true;
    if (!m_options.ssh_identity.empty()) {
      credentials.identity_file = m_options.ssh_identity;
    } else {
      // As ssh does: the user's default keys (the types libssh2 1.10 can sign with).
      for (const char* leaf : {"id_ed25519", "id_ecdsa"}) {
        const auto candidate = home_directory() / ".ssh" / leaf;
        if (fs::exists(candidate)) {
          credentials.identity_file = candidate;
          break;
        }
      }
    }
    if (!m_options.ssh_password_file.empty()) {
      credentials.password = read_password_file(m_options.ssh_password_file);
    }
    return credentials;
  }

  std::optional<Bytes> read(ssh::Sftp& sftp, const std::string& name) {
    ssh::SftpStatus status{};
    auto file = sftp.open(path_of(name), ssh::Sftp::OpenMode::read, &status);
    if (!file) {
      if (is_missing(status)) return std::nullopt;
      failure("read", name, status);
    }
    auto data = file->read_all();
    file->close();
    return data;
  }

  bool put_once(ssh::Sftp& sftp, const std::string& name, std::span<const std::uint8_t> data) {
    const auto temp =
        path_of(k_temp_dir) + "/" + crypto::hex_encode(crypto::random_bytes(12)) + ".tmp";
    ssh::SftpStatus status{};
    auto file = sftp.open(temp, ssh::Sftp::OpenMode::create_exclusive, &status);
    if (!file && is_missing(status)) {
      make_directories(sftp, path_of(k_temp_dir));
      file = sftp.open(temp, ssh::Sftp::OpenMode::create_exclusive, &status);
    }
    if (!file) failure("create a temporary file for", name, status);
    file->write_all(data);
    if (m_fsync.load() && !file->fsync()) m_fsync.store(false);  // no fsync@openssh.com
    file->close();

    const auto target = path_of(name);
    status = sftp.rename(temp, target);
    if (status != ssh::SftpStatus::ok && !sftp.stat(target)) {
      // Most likely the object's directory does not exist yet.
      const auto parent = target.substr(0, target.rfind('/'));
      make_directories(sftp, parent);
      status = sftp.rename(temp, target);
    }
    if (status == ssh::SftpStatus::ok) return true;
    (void)sftp.unlink(temp);
    if (sftp.stat(target)) return false;  // another writer got there first
    failure("write", name, status);
  }

  // mkdir -p; the store's directories are private to the user.
  void make_directories(ssh::Sftp& sftp, const std::string& path) {
    if (path.empty() || path == "/" || path == ".") return;
    if (sftp.mkdir(path, 0700) == ssh::SftpStatus::ok) return;
    if (const auto attributes = sftp.stat(path)) {
      if (attributes->is_directory()) return;
      failure("create directory", path, ssh::SftpStatus::failure);
    }
    const auto slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) {
      failure("create directory", path, ssh::SftpStatus::failure);
    }
    make_directories(sftp, path.substr(0, slash));
    const auto status = sftp.mkdir(path, 0700);
    if (status != ssh::SftpStatus::ok) {
      const auto attributes = sftp.stat(path);
      if (!attributes || !attributes->is_directory()) failure("create directory", path, status);
    }
  }

  void walk(ssh::Sftp& sftp, const std::string& relative, std::vector<std::string>& names) {
    const auto directory = relative.empty() ? m_parts.path : path_of(relative);
    const auto entries = sftp.list_directory(directory);
    if (!entries) return;
    for (const auto& entry : *entries) {
      if (entry.name.empty() || entry.name.front() == '.') continue;  // .tmp
      auto child = relative.empty() ? entry.name : relative + "/" + entry.name;
      if (entry.attributes.is_directory()) {
        walk(sftp, child, names);
      } else if (entry.attributes.is_regular()) {
        names.push_back(std::move(child));
      }
    }
  }

  std::string m_url;
  SftpUrl m_parts;
  StoreOptions m_options;
  std::atomic<bool> m_fsync{true};
  std::mutex m_pool_mutex;
  std::condition_variable m_pool_changed;
  std::vector<std::unique_ptr<Connection>> m_idle;  // logged in, not in use
  std::size_t m_leased = 0;                         // connections in use (or being opened)
};

}  // namespace

SftpUrl parse_sftp_url(const std::string& url) {
  constexpr std::string_view scheme = "sftp://";
  const auto bad = [&](const std::string& why) {
    fail(ErrorCode::usage, "invalid store URL '" + url + "': " + why,
         "write it as sftp://user@host[:port]/absolute/path (or /~/path below the home directory)");
  };
  if (!url.starts_with(scheme)) bad("not an sftp:// URL");
  const auto rest = std::string_view(url).substr(scheme.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) bad("it names no path on the server");
  auto authority = rest.substr(0, slash);
  std::string path(rest.substr(slash));
  SftpUrl parts;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    parts.user = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
    if (parts.user.find(':') != std::string::npos) {
      fail(ErrorCode::usage, "invalid store URL: it contains a password",
           "never put a password in a URL (it ends up in shell history and process lists); use "
           "--ssh-password-file or WARD_SSH_PASSWORD_FILE");
    }
    if (parts.user.empty()) bad("empty user name");
  } else {
    parts.user = current_user();
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad("unclosed '[' in the host");
    parts.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad("unexpected text after the host");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    parts.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (parts.host.empty()) bad("empty host");
  if (!port_text.empty() || authority.ends_with(':')) {
    unsigned long port = 0;
    for (const char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) bad("the port is not a number from 1 to 65535");
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535) bad("the port is not a number from 1 to 65535");
    parts.port = static_cast<std::uint16_t>(port);
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path == "/~") {
    path = ".";
  } else if (path.starts_with("/~/")) {
    path = path.substr(3);  // relative paths start at the login directory
  }
  if (path == "/") bad("the store cannot be the server's root directory");
  for (std::size_t start = 0; start < path.size();) {
    const auto end = std::min(path.find('/', start), path.size());
    const auto segment = std::string_view(path).substr(start, end - start);
    if (segment == "..") bad("'..' in the path");
    start = end + 1;
  }
  parts.path = path;
  return parts;
}

std::unique_ptr<ObjectStore> make_sftp_store(const std::string& url, const StoreOptions& options) {
  auto parts = parse_sftp_url(url);
  StoreOptions ssh_options;  // what SSH needs: the S3 keys stay where they are
  ssh_options.ssh_identity = options.ssh_identity;
  ssh_options.ssh_known_hosts = options.ssh_known_hosts;
  ssh_options.ssh_password_file = options.ssh_password_file;
  ssh_options.accept_new_host_key = options.accept_new_host_key;
  ssh_options.timeout = options.timeout;
  return std::make_unique<SftpStore>(url, std::move(parts), std::move(ssh_options));
}

}  // namespace ward::store
