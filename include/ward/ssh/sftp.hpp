#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
struct _LIBSSH2_SFTP;
struct _LIBSSH2_SFTP_HANDLE;
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)

namespace ward::ssh {

class Session;

// SFTP status codes (draft-ietf-secsh-filexfer-02) that callers act on.
enum class SftpStatus : unsigned long {
  ok = 0,
  eof = 1,
  no_such_file = 2,
  permission_denied = 3,
  failure = 4,
  op_unsupported = 8,
  no_such_path = 10,
  file_already_exists = 11,
  no_space = 14,
};

struct SftpAttributes {
  std::uint64_t size = 0;
  std::uint64_t mtime = 0;
  unsigned long permissions = 0;
  [[nodiscard]] bool is_directory() const;
  [[nodiscard]] bool is_regular() const;
};

struct SftpEntry {
  std::string name;
  SftpAttributes attributes;
};

// An open remote file.
class SftpFile {
 public:
  SftpFile(SftpFile&&) noexcept;
  SftpFile& operator=(SftpFile&&) noexcept;
  ~SftpFile();

  // Writes everything; throws Error(unreachable) on failure.
  void write_all(std::span<const std::uint8_t> data);
  // Reads to the end of the file.
  std::vector<std::uint8_t> read_all(std::size_t size_hint = 0);
  // fsync@openssh.com; false when the server does not offer the extension.
  bool fsync();
  // Closes and reports failure (a failed close can lose buffered data on the server).
  void close();

 private:
  friend class Sftp;
  SftpFile(class Sftp& sftp, _LIBSSH2_SFTP_HANDLE* handle, std::string path);
  class Sftp* m_sftp;
  _LIBSSH2_SFTP_HANDLE* m_handle;
  std::string m_path;
};

// The SFTP subsystem of a session. Operations whose failure is an expected answer (no such
// file, already exists) return it; transport failures throw Error(unreachable).
class Sftp {
 public:
  Sftp(const Sftp&) = delete;
  Sftp& operator=(const Sftp&) = delete;
  ~Sftp();

  // nullopt when the path does not exist.
  std::optional<SftpAttributes> stat(const std::string& path);
  // overwrite truncates an existing file in place (its owner and mode stay): for files that
  // must keep their identity, such as authorized_keys under sshd's StrictModes.
  // append adds at the end (O_APPEND on OpenSSH's server), creating the file if needed.
  enum class OpenMode { read, create_exclusive, overwrite, append };
  // nullopt with `status` set when the server refuses (no such file, already exists…).
  std::optional<SftpFile> open(const std::string& path, OpenMode mode, SftpStatus* status,
                               long permissions = 0600);
  SftpStatus mkdir(const std::string& path, long permissions = 0700);
  // A plain SFTP rename: OpenSSH's server implements it with link(2) and never replaces an
  // existing target (it fails instead).
  SftpStatus rename(const std::string& from, const std::string& to);
  SftpStatus unlink(const std::string& path);
  SftpStatus rmdir(const std::string& path);
  // Entries of a directory (without "." and ".."); nullopt when it does not exist.
  std::optional<std::vector<SftpEntry>> list_directory(const std::string& path);
  // The server's canonical absolute path for `path`.
  std::string realpath(const std::string& path);

  [[nodiscard]] Session& session() const { return *m_session; }
  [[nodiscard]] _LIBSSH2_SFTP* native() const { return m_sftp; }
  // The status of the last failed request, or throws Error(unreachable) when the failure was
  // the transport's (`what` names the operation for the message).
  SftpStatus last_status(int rc, const std::string& what);
  // Runs one libssh2 SFTP call, repeating it while it would block and waiting on the socket
  // itself: libssh2 1.10 keeps waiting for a reply on a channel the server has closed (its
  // sftp-server died), so ward checks the channel between waits and fails at once.
  long run(const std::string& what, const std::function<long()>& call);

 private:
  friend class Session;
  Sftp(Session& session, _LIBSSH2_SFTP* sftp);
  Session* m_session;
  _LIBSSH2_SFTP* m_sftp;
};

// "no such file", "permission denied", …: for messages.
std::string describe(SftpStatus status);

}  // namespace ward::ssh
