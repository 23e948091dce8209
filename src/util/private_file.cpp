#include "ward/util/private_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ward/error.hpp"

namespace ward::util {

PrivateFile::PrivateFile(std::string_view content, std::string_view name_hint) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern = std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") +
                        "/ward-" + std::string(name_hint) + ".XXXXXX";
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);  // mode 0600
  if (fd < 0) {
    fail(ErrorCode::internal,
         "cannot create a private temporary file in " + pattern + ": " + std::strerror(errno),
         "set TMPDIR to a writable directory");
  }
  m_path = pattern;
  std::size_t written = 0;
  while (written < content.size()) {
    const auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n <= 0) {
      ::close(fd);
      std::filesystem::remove(m_path);
      fail(ErrorCode::internal, "cannot write " + m_path.string() + ": " + std::strerror(errno));
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

PrivateFile::~PrivateFile() {
  std::error_code ignored;
  std::filesystem::remove(m_path, ignored);
}

bool looks_like_content(std::string_view value) {
  return value.find('\n') != std::string_view::npos || value.starts_with("-----BEGIN") ||
         value.find(' ') != std::string_view::npos;
}

}  // namespace ward::util
