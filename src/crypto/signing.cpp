#include "ward/crypto/signing.hpp"

#include <openssl/evp.h>

#include <memory>

#include "ward/crypto/random.hpp"
#include "ward/error.hpp"

namespace ward::crypto {

namespace {

constexpr std::size_t k_seed_size = 32;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

Pkey private_key(const SecretBytes& seed) {
  if (seed.size() != k_seed_size) {
    fail(ErrorCode::internal, "Ed25519: the private key must be a 32-byte seed");
  }
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!key) {
    fail(ErrorCode::internal, "Ed25519: cannot load the private key");
  }
  return key;
}

MdCtx new_md_ctx() {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) {
    fail(ErrorCode::internal, "Ed25519: context allocation failed");
  }
  return ctx;
}

// Ed25519 signs the empty message too; OpenSSL wants a valid pointer regardless.
const std::uint8_t k_empty = 0;

}  // namespace

SigningKeyPair ed25519_generate() {
  SigningKeyPair pair;
  pair.seed = random_secret(k_seed_size);
  pair.public_key = ed25519_public_key(pair.seed);
  return pair;
}

PublicKey ed25519_public_key(const SecretBytes& seed) {
  Pkey key = private_key(seed);
  PublicKey out{};
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), out.data(), &len) != 1 || len != out.size()) {
    fail(ErrorCode::internal, "Ed25519: cannot derive the public key");
  }
  return out;
}

Signature ed25519_sign(const SecretBytes& seed, std::span<const std::uint8_t> message) {
  Pkey key = private_key(seed);
  MdCtx ctx = new_md_ctx();
  // Ed25519 hashes internally (PureEdDSA), so no digest is named.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    fail(ErrorCode::internal, "Ed25519: signing init failed");
  }
  Signature out{};
  std::size_t len = out.size();
  const std::uint8_t* msg = message.data() != nullptr ? message.data() : &k_empty;
  if (EVP_DigestSign(ctx.get(), out.data(), &len, msg, message.size()) != 1 || len != out.size()) {
    fail(ErrorCode::internal, "Ed25519: signing failed");
  }
  return out;
}

bool ed25519_verify(const PublicKey& key, std::span<const std::uint8_t> message,
                    const Signature& signature) {
  Pkey pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  if (!pkey) {
    return false;  // not a valid point: nothing can verify under it
  }
  MdCtx ctx = new_md_ctx();
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    fail(ErrorCode::internal, "Ed25519: verification init failed");
  }
  const std::uint8_t* msg = message.data() != nullptr ? message.data() : &k_empty;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), msg, message.size()) == 1;
}

}  // namespace ward::crypto
