#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "ward/crypto/secret.hpp"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace ward::crypto {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::span<const std::uint8_t> data);

// SHA-256 of bytes that arrive in pieces (a download hashed as it comes in).
class Sha256Stream {
 public:
  Sha256Stream();
  void update(std::span<const std::uint8_t> data);
  // The digest of everything since construction or the last reset(); starts over.
  Digest finish();
  void reset();

 private:
  struct ContextDeleter {
    void operator()(evp_md_ctx_st* ctx) const noexcept;
  };
  std::unique_ptr<evp_md_ctx_st, ContextDeleter> m_ctx;
};

Digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);
// HKDF-SHA256 (RFC 5869): derives one-purpose keys from one secret.
SecretBytes hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                        std::span<const std::uint8_t> info, std::size_t length);
// Constant-time equality of two byte ranges of equal length.
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace ward::crypto
