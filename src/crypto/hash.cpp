#include "ward/crypto/hash.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <climits>
#include <memory>

#include "ward/error.hpp"

namespace ward::crypto {

namespace {

// OpenSSL treats a null pointer as "no key" in some paths; an empty span may carry one.
const std::uint8_t k_empty = 0;
const std::uint8_t* non_null(std::span<const std::uint8_t> s) {
  return s.data() != nullptr ? s.data() : &k_empty;
}

struct KdfDeleter {
  void operator()(EVP_KDF* kdf) const noexcept { EVP_KDF_free(kdf); }
};
struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* ctx) const noexcept { EVP_KDF_CTX_free(ctx); }
};

}  // namespace

Digest sha256(std::span<const std::uint8_t> data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(non_null(data), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    fail(ErrorCode::internal, "SHA-256 failed");
  }
  return out;
}

void Sha256Stream::ContextDeleter::operator()(EVP_MD_CTX* ctx) const noexcept {
  EVP_MD_CTX_free(ctx);
}

Sha256Stream::Sha256Stream() : m_ctx(EVP_MD_CTX_new()) {
  if (!m_ctx) fail(ErrorCode::internal, "SHA-256 failed");
  reset();
}

void Sha256Stream::reset() {
  if (EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1) {
    fail(ErrorCode::internal, "SHA-256 failed");
  }
}

void Sha256Stream::update(std::span<const std::uint8_t> data) {
  if (!data.empty() && EVP_DigestUpdate(m_ctx.get(), data.data(), data.size()) != 1) {
    fail(ErrorCode::internal, "SHA-256 failed");
  }
}

Digest Sha256Stream::finish() {
  Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(m_ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    fail(ErrorCode::internal, "SHA-256 failed");
  }
  reset();
  return out;
}

Digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  if (key.size() > static_cast<std::size_t>(INT_MAX)) {
    fail(ErrorCode::internal, "HMAC-SHA256: key too large");
  }
  Digest out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), non_null(key), static_cast<int>(key.size()), non_null(data), data.size(),
           out.data(), &len) == nullptr ||
      len != out.size()) {
    fail(ErrorCode::internal, "HMAC-SHA256 failed");
  }
  return out;
}

SecretBytes hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                        std::span<const std::uint8_t> info, std::size_t length) {
  // RFC 5869 caps the output at 255 hash blocks.
  if (length == 0 || length > std::size_t{255} * 32) {
    fail(ErrorCode::internal, "HKDF-SHA256: invalid output length");
  }
  std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) {
    fail(ErrorCode::internal, "HKDF-SHA256: HKDF is unavailable");
  }
  std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) {
    fail(ErrorCode::internal, "HKDF-SHA256: context allocation failed");
  }
  // OSSL_PARAM wants non-const pointers although the KDF only reads these buffers.
  char digest_name[] = "SHA256";
  OSSL_PARAM params[5];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(non_null(ikm)), ikm.size());
  if (!salt.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()), salt.size());
  }
  if (!info.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(info.data()), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    fail(ErrorCode::internal, "HKDF-SHA256 failed");
  }
  return out;
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) {
    return false;
  }
  if (a.empty()) {
    return true;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ward::crypto
