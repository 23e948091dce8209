#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "ward/crypto/secret.hpp"

namespace ward::crypto {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::span<const std::uint8_t> data);
Digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);
// HKDF-SHA256 (RFC 5869): derives one-purpose keys from one secret.
SecretBytes hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                        std::span<const std::uint8_t> info, std::size_t length);
// Constant-time equality of two byte ranges of equal length.
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace ward::crypto
