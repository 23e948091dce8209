#include "ward/crypto/kdf.hpp"

#include <argon2.h>

#include <string>

#include "ward/error.hpp"

namespace ward::crypto {

SecretBytes argon2id(const SecretBytes& passphrase, std::span<const std::uint8_t> salt,
                     const Argon2Params& params, std::size_t length) {
  SecretBytes out(length);
  // argon2id_hash_raw always uses version 0x13, the one RFC 9106 specifies.
  const int rc =
      argon2id_hash_raw(params.iterations, params.memory_kib, params.parallelism, passphrase.data(),
                        passphrase.size(), salt.data(), salt.size(), out.data(), out.size());
  if (rc != ARGON2_OK) {
    fail(ErrorCode::internal, std::string("Argon2id failed: ") + argon2_error_message(rc));
  }
  return out;
}

}  // namespace ward::crypto
