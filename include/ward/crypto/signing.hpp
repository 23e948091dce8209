#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "ward/crypto/secret.hpp"

namespace ward::crypto {

using PublicKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 64>;

// Ed25519 (RFC 8032) for audit checkpoints. The private key is the 32-byte seed.
struct SigningKeyPair {
  SecretBytes seed;
  PublicKey public_key{};
};

SigningKeyPair ed25519_generate();
PublicKey ed25519_public_key(const SecretBytes& seed);
Signature ed25519_sign(const SecretBytes& seed, std::span<const std::uint8_t> message);
bool ed25519_verify(const PublicKey& key, std::span<const std::uint8_t> message,
                    const Signature& signature);

}  // namespace ward::crypto
