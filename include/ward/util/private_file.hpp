#pragma once

#include <filesystem>
#include <string_view>

namespace ward::util {

// A file only this user can read (0600, created with O_EXCL under $TMPDIR), removed when the
// object goes away. For client libraries that insist on a path (libpq's sslrootcert) when the
// content lives in a credential. Never used for secret values: those stay in memory.
class PrivateFile {
 public:
  PrivateFile(std::string_view content, std::string_view name_hint);
  PrivateFile(const PrivateFile&) = delete;
  PrivateFile& operator=(const PrivateFile&) = delete;
  ~PrivateFile();
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

// Whether a field holds a file's content (PEM, known_hosts lines) rather than a path to one.
bool looks_like_content(std::string_view value);

}  // namespace ward::util
