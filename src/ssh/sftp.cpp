#include "ward/ssh/sftp.hpp"

#include <libssh2.h>
#include <libssh2_sftp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

#include "ward/error.hpp"
#include "ward/ssh/session.hpp"
#include "ward/util/huge_pages.hpp"

namespace ward::ssh {
namespace {

SftpAttributes attributes_of(const LIBSSH2_SFTP_ATTRIBUTES& raw) {
  SftpAttributes attributes;
  if ((raw.flags & LIBSSH2_SFTP_ATTR_SIZE) != 0) attributes.size = raw.filesize;
  if ((raw.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) != 0) attributes.mtime = raw.mtime;
  if ((raw.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) != 0) attributes.permissions = raw.permissions;
  return attributes;
}

bool missing(SftpStatus status) {
  return status == SftpStatus::no_such_file || status == SftpStatus::no_such_path;
}

}  // namespace

bool SftpAttributes::is_directory() const { return LIBSSH2_SFTP_S_ISDIR(permissions); }
bool SftpAttributes::is_regular() const { return LIBSSH2_SFTP_S_ISREG(permissions); }

std::string describe(SftpStatus status) {
  switch (status) {
    case SftpStatus::ok:
      return "ok";
    case SftpStatus::eof:
      return "end of file";
    case SftpStatus::no_such_file:
      return "no such file";
    case SftpStatus::permission_denied:
      return "permission denied";
    case SftpStatus::failure:
      return "the server reported a failure";
    case SftpStatus::op_unsupported:
      return "operation not supported by the server";
    case SftpStatus::no_such_path:
      return "no such path";
    case SftpStatus::file_already_exists:
      return "file already exists";
    case SftpStatus::no_space:
      return "no space left on the server's file system";
  }
  return "SFTP status " + std::to_string(static_cast<unsigned long>(status));
}

// --- SftpFile ----------------------------------------------------------------------------

SftpFile::SftpFile(Sftp& sftp, LIBSSH2_SFTP_HANDLE* handle, std::string path)
    : m_sftp(&sftp), m_handle(handle), m_path(std::move(path)) {}

SftpFile::SftpFile(SftpFile&& other) noexcept
    : m_sftp(other.m_sftp),
      m_handle(std::exchange(other.m_handle, nullptr)),
      m_path(std::move(other.m_path)) {}

SftpFile& SftpFile::operator=(SftpFile&& other) noexcept {
  if (this != &other) {
    std::swap(m_sftp, other.m_sftp);
    std::swap(m_handle, other.m_handle);
    std::swap(m_path, other.m_path);
  }
  return *this;
}

SftpFile::~SftpFile() {
  if (m_handle == nullptr) return;
  if (m_sftp->session().broken()) {
    // The close cannot reach the server; the call still frees the handle.
    m_sftp->session().abandon();
    libssh2_sftp_close_handle(m_handle);
    return;
  }
  try {
    m_sftp->run("close " + m_path, [&] { return long{libssh2_sftp_close_handle(m_handle)}; });
  } catch (const Error&) {
    // Already failing: the error that brought us here is the one to report.
  }
}

void SftpFile::write_all(std::span<const std::uint8_t> data) {
  // libssh2 turns all it is given into write requests at once (copying the data), reads no
  // acknowledgement until every one is sent, then looks each up in its list of queued replies:
  // the cost grows with the square of the requests in flight. Handing it 1 MiB at a time keeps
  // about 35 requests of 30,000 bytes outstanding, near OpenSSH sftp's 64 of 32 KiB. On loopback
  // sshd at load 8-10 a 256 MiB put went from 7-8 s (all at once) to 3.6-4.1 s; 2 MiB windows
  // took 4.7-5.0 s, 4 MiB 6.6 s.
  constexpr std::size_t k_window = std::size_t{1} << 20;
  std::size_t written = 0;
  while (written < data.size()) {
    const auto rc = m_sftp->run("write " + m_path, [&] {
      return static_cast<long>(
          libssh2_sftp_write(m_handle, reinterpret_cast<const char*>(data.data() + written),
                             std::min(k_window, data.size() - written)));
    });
    if (rc < 0) {
      const auto status = m_sftp->last_status(static_cast<int>(rc), "write " + m_path);
      fail(ErrorCode::unreachable, "cannot write " + m_path + ": " + describe(status));
    }
    written += static_cast<std::size_t>(rc);
  }
}

std::vector<std::uint8_t> SftpFile::read_all(std::size_t size_hint) {
  // libssh2 keeps read requests outstanding for as much as the buffer holds. Most objects fit
  // in a small one, and a large buffer would make every small read send (and drain) dozens of
  // requests past the end; a file that fills the small buffer switches to a large one, which
  // keeps enough requests in flight to stream it.
  constexpr std::size_t k_small = std::size_t{32} << 10;
  constexpr std::size_t k_large = std::size_t{4} << 20;
  std::vector<std::uint8_t> out;
  out.reserve(size_hint);
  util::advise_huge_pages(out.data(), out.capacity());
  // The same element type as the result, so appending is a memcpy rather than a loop.
  std::vector<std::uint8_t> buffer(std::max(k_small, std::min(size_hint, k_large)));
  for (;;) {
    const auto rc = m_sftp->run("read " + m_path, [&] {
      return static_cast<long>(
          libssh2_sftp_read(m_handle, reinterpret_cast<char*>(buffer.data()), buffer.size()));
    });
    if (rc == 0) break;
    if (rc < 0) {
      const auto status = m_sftp->last_status(static_cast<int>(rc), "read " + m_path);
      fail(ErrorCode::unreachable, "cannot read " + m_path + ": " + describe(status));
    }
    out.insert(out.end(), buffer.begin(), buffer.begin() + rc);
    if (buffer.size() < k_large && out.size() >= k_small) {
      buffer.resize(k_large);
      if (out.capacity() < k_large) {
        // One round trip for the size instead of growing the result by copies, each a fresh
        // allocation whose pages all fault in again.
        LIBSSH2_SFTP_ATTRIBUTES raw{};
        const auto stat_rc = m_sftp->run(
            "look up " + m_path, [&] { return long{libssh2_sftp_fstat_ex(m_handle, &raw, 0)}; });
        if (stat_rc == 0 && (raw.flags & LIBSSH2_SFTP_ATTR_SIZE) != 0) {
          out.reserve(static_cast<std::size_t>(raw.filesize));
          util::advise_huge_pages(out.data(), out.capacity());
        }
      }
    }
  }
  return out;
}

bool SftpFile::fsync() {
  const auto rc = static_cast<int>(
      m_sftp->run("sync " + m_path, [&] { return long{libssh2_sftp_fsync(m_handle)}; }));
  if (rc == 0) return true;
  const auto status = m_sftp->last_status(rc, "sync " + m_path);
  if (status == SftpStatus::op_unsupported) return false;
  fail(ErrorCode::unreachable, "cannot sync " + m_path + ": " + describe(status));
}

void SftpFile::close() {
  auto* handle = std::exchange(m_handle, nullptr);
  if (handle == nullptr) return;
  const auto rc = static_cast<int>(
      m_sftp->run("close " + m_path, [&] { return long{libssh2_sftp_close_handle(handle)}; }));
  if (rc == 0) return;
  const auto status = m_sftp->last_status(rc, "close " + m_path);
  fail(ErrorCode::unreachable, "cannot close " + m_path + ": " + describe(status));
}

// --- Sftp --------------------------------------------------------------------------------

Sftp::Sftp(Session& session, LIBSSH2_SFTP* sftp) : m_session(&session), m_sftp(sftp) {}

Sftp::~Sftp() {
  if (m_sftp == nullptr) return;
  if (m_session->broken()) {
    // Frees the SFTP session's memory; its channel's close fails at once on the cut socket.
    m_session->abandon();
    libssh2_sftp_shutdown(m_sftp);
    return;
  }
  try {
    run("end the SFTP session", [&] { return long{libssh2_sftp_shutdown(m_sftp)}; });
  } catch (const Error&) {
    // Nothing left to do with a session that is going away.
  }
}

long Sftp::run(const std::string& what, const std::function<long()>& call) {
  LIBSSH2_SESSION* session = m_session->native();
  libssh2_session_set_blocking(session, 0);
  struct Restore {
    LIBSSH2_SESSION* session;
    explicit Restore(LIBSSH2_SESSION* s) : session(s) {}
    Restore(const Restore&) = delete;
    Restore& operator=(const Restore&) = delete;
    ~Restore() { libssh2_session_set_blocking(session, 1); }
  } restore{session};
  const auto deadline = std::chrono::steady_clock::now() + m_session->timeout();
  for (;;) {
    const long rc = call();
    if (rc != LIBSSH2_ERROR_EAGAIN) return rc;
    if (libssh2_channel_eof(libssh2_sftp_get_channel(m_sftp)) != 0) {
      libssh2_session_set_last_error(session, LIBSSH2_ERROR_CHANNEL_CLOSED,
                                     "the server closed the SFTP channel");
      m_session->fail_with(LIBSSH2_ERROR_SOCKET_DISCONNECT, "SFTP: " + what);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) m_session->fail_with(LIBSSH2_ERROR_TIMEOUT, "SFTP: " + what);
    m_session->wait_socket(std::min(left, std::chrono::milliseconds(1000)));
  }
}

SftpStatus Sftp::last_status(int rc, const std::string& what) {
  if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL)
    return static_cast<SftpStatus>(libssh2_sftp_last_error(m_sftp));
  m_session->fail_with(rc, "SFTP: " + what);
}

std::optional<SftpAttributes> Sftp::stat(const std::string& path) {
  LIBSSH2_SFTP_ATTRIBUTES raw{};
  const auto rc = static_cast<int>(run("look up " + path, [&] {
    return long{libssh2_sftp_stat_ex(m_sftp, path.c_str(), static_cast<unsigned int>(path.size()),
                                     LIBSSH2_SFTP_STAT, &raw)};
  }));
  if (rc == 0) return attributes_of(raw);
  const auto status = last_status(rc, "look up " + path);
  if (missing(status)) return std::nullopt;
  fail(ErrorCode::unreachable, "cannot look up " + path + ": " + describe(status));
}

std::optional<SftpFile> Sftp::open(const std::string& path, OpenMode mode, SftpStatus* status,
                                   long permissions) {
  const unsigned long flags = mode == OpenMode::read ? LIBSSH2_FXF_READ
                              : mode == OpenMode::create_exclusive
                                  ? LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL
                              : mode == OpenMode::append
                                  ? LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_APPEND
                                  : LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC;
  LIBSSH2_SFTP_HANDLE* handle = nullptr;
  const auto rc = static_cast<int>(run("open " + path, [&] {
    handle = libssh2_sftp_open_ex(m_sftp, path.c_str(), static_cast<unsigned int>(path.size()),
                                  flags, permissions, LIBSSH2_SFTP_OPENFILE);
    return handle != nullptr ? 0L : long{libssh2_session_last_errno(m_session->native())};
  }));
  if (handle != nullptr) return SftpFile(*this, handle, path);
  const auto result = last_status(rc, "open " + path);
  if (status != nullptr) *status = result;
  return std::nullopt;
}

SftpStatus Sftp::mkdir(const std::string& path, long permissions) {
  const auto rc = static_cast<int>(run("create directory " + path, [&] {
    return long{libssh2_sftp_mkdir_ex(m_sftp, path.c_str(), static_cast<unsigned int>(path.size()),
                                      permissions)};
  }));
  return rc == 0 ? SftpStatus::ok : last_status(rc, "create directory " + path);
}

SftpStatus Sftp::rename(const std::string& from, const std::string& to) {
  // No OVERWRITE flag (and SFTP v3 sends none): the server must not replace `to`.
  const auto rc = static_cast<int>(run("rename " + from, [&] {
    return long{libssh2_sftp_rename_ex(m_sftp, from.c_str(), static_cast<unsigned int>(from.size()),
                                       to.c_str(), static_cast<unsigned int>(to.size()), 0)};
  }));
  return rc == 0 ? SftpStatus::ok : last_status(rc, "rename " + from);
}

SftpStatus Sftp::unlink(const std::string& path) {
  const auto rc = static_cast<int>(run("remove " + path, [&] {
    return long{
        libssh2_sftp_unlink_ex(m_sftp, path.c_str(), static_cast<unsigned int>(path.size()))};
  }));
  return rc == 0 ? SftpStatus::ok : last_status(rc, "remove " + path);
}

SftpStatus Sftp::rmdir(const std::string& path) {
  const auto rc = static_cast<int>(run("remove directory " + path, [&] {
    return long{
        libssh2_sftp_rmdir_ex(m_sftp, path.c_str(), static_cast<unsigned int>(path.size()))};
  }));
  return rc == 0 ? SftpStatus::ok : last_status(rc, "remove directory " + path);
}

std::optional<std::vector<SftpEntry>> Sftp::list_directory(const std::string& path) {
  LIBSSH2_SFTP_HANDLE* handle = nullptr;
  const auto opened = static_cast<int>(run("list " + path, [&] {
    handle = libssh2_sftp_open_ex(m_sftp, path.c_str(), static_cast<unsigned int>(path.size()), 0,
                                  0, LIBSSH2_SFTP_OPENDIR);
    return handle != nullptr ? 0L : long{libssh2_session_last_errno(m_session->native())};
  }));
  if (handle == nullptr) {
    const auto status = last_status(opened, "list " + path);
    if (missing(status)) return std::nullopt;
    fail(ErrorCode::unreachable, "cannot list " + path + ": " + describe(status));
  }
  SftpFile directory(*this, handle, path);  // closes the handle
  std::vector<SftpEntry> entries;
  std::array<char, 4096> name{};
  for (;;) {
    LIBSSH2_SFTP_ATTRIBUTES raw{};
    const auto rc = static_cast<int>(run("list " + path, [&] {
      return long{libssh2_sftp_readdir_ex(handle, name.data(), name.size(), nullptr, 0, &raw)};
    }));
    if (rc == 0) break;
    if (rc < 0) {
      const auto status = last_status(rc, "list " + path);
      if (status == SftpStatus::eof) break;
      fail(ErrorCode::unreachable, "cannot list " + path + ": " + describe(status));
    }
    std::string leaf(name.data(), static_cast<std::size_t>(rc));
    if (leaf == "." || leaf == "..") continue;
    entries.push_back({std::move(leaf), attributes_of(raw)});
  }
  directory.close();
  return entries;
}

std::string Sftp::realpath(const std::string& path) {
  std::array<char, 4096> target{};
  const auto rc = static_cast<int>(run("resolve " + path, [&] {
    return long{libssh2_sftp_symlink_ex(
        m_sftp, path.c_str(), static_cast<unsigned int>(path.size()), target.data(),
        static_cast<unsigned int>(target.size()), LIBSSH2_SFTP_REALPATH)};
  }));
  if (rc < 0) {
    const auto status = last_status(rc, "resolve " + path);
    fail(ErrorCode::unreachable, "cannot resolve " + path + ": " + describe(status));
  }
  return {target.data(), static_cast<std::size_t>(rc)};
}

}  // namespace ward::ssh
