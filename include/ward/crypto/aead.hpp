#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ward/crypto/secret.hpp"

namespace ward::crypto {

inline constexpr std::size_t k_key_size = 32;    // AES-256
inline constexpr std::size_t k_nonce_size = 12;  // GCM's 96-bit IV
inline constexpr std::size_t k_tag_size = 16;
inline constexpr std::size_t k_aead_overhead = k_nonce_size + k_tag_size;

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// AES-256-GCM with a fresh random nonce. Output: nonce || ciphertext || tag.
Bytes aead_seal(const SecretBytes& key, ByteView plaintext, ByteView aad);
// Inverse of aead_seal; throws Error(auth) when the tag does not verify.
SecretBytes aead_open(const SecretBytes& key, ByteView sealed, ByteView aad);

// The raw primitive with a caller-chosen nonce, for known-answer tests only.
Bytes aes256gcm_encrypt(const SecretBytes& key, ByteView nonce, ByteView plaintext, ByteView aad);
SecretBytes aes256gcm_decrypt(const SecretBytes& key, ByteView nonce, ByteView ciphertext_and_tag,
                              ByteView aad);

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace ward::crypto
