#pragma once

#include <string>
#include <string_view>

#include "ward/crypto/secret.hpp"

namespace ward::crypto {

inline constexpr int k_bcrypt_default_cost = 12;

// bcrypt ($2b$) through libxcrypt. bcrypt reads at most 72 bytes of the password; longer
// passwords are rejected rather than silently truncated.
std::string bcrypt_hash(const SecretBytes& password, int cost = k_bcrypt_default_cost);
bool bcrypt_verify(const SecretBytes& password, std::string_view hash);

}  // namespace ward::crypto
