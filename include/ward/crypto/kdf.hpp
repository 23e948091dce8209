#pragma once

#include <cstdint>
#include <span>

#include "ward/crypto/secret.hpp"

namespace ward::crypto {

// Argon2id parameters stored beside a passphrase unlock entry.
struct Argon2Params {
  std::uint32_t memory_kib = 64 * 1024;
  std::uint32_t iterations = 3;
  std::uint32_t parallelism = 1;
};

// Argon2id (RFC 9106, via libargon2) of a passphrase into a 32-byte key.
SecretBytes argon2id(const SecretBytes& passphrase, std::span<const std::uint8_t> salt,
                     const Argon2Params& params, std::size_t length = 32);

}  // namespace ward::crypto
