#include "ward/keyring/unlock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"

namespace ward::keyring {
namespace {

constexpr std::string_view k_key_file_magic = "WARDKEY1";
constexpr std::size_t k_key_file_size = k_key_file_magic.size() + k_key_file_key_size;

UnlockMaterial parse_key_file_content(const crypto::SecretBytes& content, std::string source) {
  if (content.size() != k_key_file_size || !content.reveal().starts_with(k_key_file_magic)) {
    fail(ErrorCode::auth, source + " is not a ward key file",
         "a key file is written by `ward init --key-file PATH` or `ward key add-unlock "
         "--new-key-file PATH`");
  }
  UnlockMaterial material;
  material.kind = UnlockMaterial::Kind::key_file;
  material.secret =
      crypto::SecretBytes(content.data() + k_key_file_magic.size(), k_key_file_key_size);
  material.source = std::move(source);
  return material;
}

}  // namespace

UnlockMaterial read_key_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int saved = errno;
    fail(saved == ENOENT ? ErrorCode::not_found : ErrorCode::auth,
         "cannot read key file " + path.string() + ": " + std::strerror(saved));
  }
  crypto::SecretBytes content(k_key_file_size + 1);
  std::size_t total = 0;
  while (total < content.size()) {
    const auto n = ::read(fd, content.data() + total, content.size() - total);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    total += static_cast<std::size_t>(n);
  }
  ::close(fd);
  content.resize(total);
  return parse_key_file_content(content, "key file " + path.string());
}

UnlockMaterial key_from_base64(std::string_view base64, std::string source) {
  auto decoded = crypto::base64_decode_secret(base64);
  if (!decoded) fail(ErrorCode::auth, source + " is not valid base64");
  return parse_key_file_content(*decoded, std::move(source));
}

UnlockMaterial create_key_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int saved = errno;
    fail(saved == EEXIST ? ErrorCode::conflict : ErrorCode::usage,
         "cannot create key file " + path.string() + ": " + std::strerror(saved),
         saved == EEXIST ? "ward never overwrites a key file; choose another path" : "");
  }
  crypto::SecretBytes content = crypto::SecretBytes::from(k_key_file_magic);
  content.append(crypto::random_secret(k_key_file_key_size).bytes());
  std::size_t written = 0;
  while (written < content.size()) {
    const auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      ::close(fd);
      ::unlink(path.c_str());
      fail(ErrorCode::usage,
           "cannot write key file " + path.string() + ": " + std::strerror(saved));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(path.c_str());
    fail(ErrorCode::usage, "cannot write key file " + path.string());
  }
  return parse_key_file_content(content, "key file " + path.string());
}

}  // namespace ward::keyring
