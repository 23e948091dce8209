#pragma once

#include <filesystem>
#include <string>

#include "ward/crypto/kdf.hpp"
#include "ward/crypto/secret.hpp"

namespace ward::keyring {

// What the user hands over to open a store. Each kind matches unlock entries of that kind.
struct UnlockMaterial {
  enum class Kind { key_file, passphrase };
  Kind kind = Kind::key_file;
  crypto::SecretBytes secret;  // the 32-byte key of a key file, or the passphrase
  std::string source;          // where it came from, for messages: "key file /x", "WARD_KEY"
};

inline constexpr std::size_t k_key_file_key_size = 32;

// A key file is "WARDKEY1" followed by 32 random bytes; WARD_KEY holds the same bytes in base64.
UnlockMaterial read_key_file(const std::filesystem::path& path);
UnlockMaterial key_from_base64(std::string_view base64, std::string source);
// Creates a new key file (mode 0600, never overwriting) and returns its material.
UnlockMaterial create_key_file(const std::filesystem::path& path);

}  // namespace ward::keyring
