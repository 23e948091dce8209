#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ward/crypto/secret.hpp"

namespace ward::crypto {

std::string hex_encode(std::span<const std::uint8_t> data);
std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text);

// RFC 4648 base64 with padding.
std::string base64_encode(std::span<const std::uint8_t> data);
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);
// Decodes straight into secret memory, for key material read from a file or environment.
std::optional<SecretBytes> base64_decode_secret(std::string_view text);

// RFC 4648 base32, lowercase, without padding: the alphabet of store ids.
std::string base32_encode(std::span<const std::uint8_t> data);

}  // namespace ward::crypto
