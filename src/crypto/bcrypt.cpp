#include "ward/crypto/bcrypt.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <cstring>
#include <memory>
#include <string>

#include "ward/error.hpp"

namespace ward::crypto {

namespace {

// bcrypt ignores everything after byte 72; accepting more would silently weaken the password.
constexpr std::size_t k_max_password = 72;
constexpr int k_min_cost = 4;
constexpr int k_max_cost = 31;

// crypt_data holds intermediate key schedule state derived from the password, so it lives
// in secure memory and is cleansed on release.
struct CryptDataDeleter {
  void operator()(crypt_data* data) const noexcept { secure_deallocate(data, sizeof(crypt_data)); }
};
using CryptData = std::unique_ptr<crypt_data, CryptDataDeleter>;

CryptData new_crypt_data() {
  auto* raw = static_cast<crypt_data*>(secure_allocate(sizeof(crypt_data)));
  std::memset(raw, 0, sizeof(crypt_data));  // crypt_rn requires a zeroed first use
  return CryptData(raw);
}

// Returns the password as a NUL-terminated C string in secret memory.
SecretBytes checked_password(const SecretBytes& password) {
  if (password.size() > k_max_password) {
    fail(ErrorCode::usage, "bcrypt passwords are limited to 72 bytes",
         "use a shorter password, or a different hash scheme");
  }
  if (!password.empty() && std::memchr(password.data(), 0, password.size()) != nullptr) {
    fail(ErrorCode::usage, "bcrypt passwords cannot contain a NUL byte");
  }
  SecretBytes c_string(password.size() + 1);
  if (!password.empty()) {
    std::memcpy(c_string.data(), password.data(), password.size());
  }
  c_string.data()[password.size()] = 0;
  return c_string;
}

bool is_bcrypt_hash(std::string_view hash) {
  // Other crypt(3) schemes (notably DES, which reads 8 characters) must not pass as bcrypt.
  return hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$");
}

}  // namespace

std::string bcrypt_hash(const SecretBytes& password, int cost) {
  if (cost < k_min_cost || cost > k_max_cost) {
    fail(ErrorCode::usage, "bcrypt cost must be between 4 and 31, got " + std::to_string(cost));
  }
  const SecretBytes phrase = checked_password(password);
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // A null random buffer makes libxcrypt draw the salt from the OS (getrandom).
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                       sizeof(setting)) == nullptr) {
    fail(ErrorCode::internal, "bcrypt: cannot generate a salt");
  }
  CryptData data = new_crypt_data();
  const char* result = crypt_rn(reinterpret_cast<const char*>(phrase.data()), setting, data.get(),
                                static_cast<int>(sizeof(crypt_data)));
  if (result == nullptr || result[0] == '*') {
    fail(ErrorCode::internal, "bcrypt: hashing failed");
  }
  return {result};
}

bool bcrypt_verify(const SecretBytes& password, std::string_view hash) {
  const SecretBytes phrase = checked_password(password);
  if (!is_bcrypt_hash(hash) || hash.size() >= CRYPT_OUTPUT_SIZE) {
    return false;
  }
  const std::string setting(hash);
  CryptData data = new_crypt_data();
  const char* result = crypt_rn(reinterpret_cast<const char*>(phrase.data()), setting.c_str(),
                                data.get(), static_cast<int>(sizeof(crypt_data)));
  if (result == nullptr || result[0] == '*') {
    return false;  // malformed hash
  }
  const std::size_t result_len = std::strlen(result);
  if (result_len != hash.size()) {
    return false;
  }
  return CRYPTO_memcmp(result, hash.data(), hash.size()) == 0;
}

}  // namespace ward::crypto
