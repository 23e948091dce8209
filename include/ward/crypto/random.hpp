#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ward/crypto/secret.hpp"

namespace ward::crypto {

// All randomness comes from OpenSSL's CSPRNG (RAND_bytes, seeded from getrandom).
void random_fill(std::span<std::uint8_t> out);
std::vector<std::uint8_t> random_bytes(std::size_t n);
SecretBytes random_secret(std::size_t n);
// Uniform in [0, bound) by rejection sampling: no modulo bias.
std::uint32_t random_below(std::uint32_t bound);

}  // namespace ward::crypto
