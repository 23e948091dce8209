#include "ward/crypto/aead.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string>

#include "ward/crypto/random.hpp"
#include "ward/error.hpp"

namespace ward::crypto {

namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

[[noreturn]] void openssl_failure(const char* what) {
  fail(ErrorCode::internal, std::string("AES-256-GCM: ") + what + " failed");
}

[[noreturn]] void auth_failure() { fail(ErrorCode::auth, "authentication failed"); }

int checked_int(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX)) {
    fail(ErrorCode::internal, "AES-256-GCM: input too large");
  }
  return static_cast<int>(n);
}

CipherCtx make_ctx(const SecretBytes& key, ByteView nonce, bool encrypt) {
  if (key.size() != k_key_size) {
    fail(ErrorCode::internal, "AES-256-GCM: key must be 32 bytes");
  }
  if (nonce.size() != k_nonce_size) {
    fail(ErrorCode::internal, "AES-256-GCM: nonce must be 12 bytes");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) {
    openssl_failure("context allocation");
  }
  // The key and IV are set in a second call, after the cipher is fixed, as the EVP GCM
  // documentation prescribes.
  const int ok = encrypt
                     ? EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr)
                     : EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
  if (ok != 1) {
    openssl_failure("cipher init");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(k_nonce_size),
                          nullptr) != 1) {
    openssl_failure("IV length");
  }
  const int keyed = encrypt
                        ? EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data())
                        : EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data());
  if (keyed != 1) {
    openssl_failure("key setup");
  }
  return ctx;
}

// Encrypts into out, which must have room for plaintext.size() + k_tag_size bytes.
void encrypt_into(const SecretBytes& key, ByteView nonce, ByteView plaintext, ByteView aad,
                  std::uint8_t* out) {
  CipherCtx ctx = make_ctx(key, nonce, true);
  int len = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), checked_int(aad.size())) != 1) {
    openssl_failure("AAD");
  }
  int written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), out, &len, plaintext.data(), checked_int(plaintext.size())) !=
        1) {
      openssl_failure("encrypt");
    }
    written = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), out + written, &len) != 1) {
    openssl_failure("encrypt final");
  }
  written += len;
  if (static_cast<std::size_t>(written) != plaintext.size()) {
    openssl_failure("encrypt length");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_tag_size),
                          out + written) != 1) {
    openssl_failure("tag");
  }
}

}  // namespace

Bytes aes256gcm_encrypt(const SecretBytes& key, ByteView nonce, ByteView plaintext, ByteView aad) {
  Bytes out(plaintext.size() + k_tag_size);
  encrypt_into(key, nonce, plaintext, aad, out.data());
  return out;
}

SecretBytes aes256gcm_decrypt(const SecretBytes& key, ByteView nonce, ByteView ciphertext_and_tag,
                              ByteView aad) {
  if (ciphertext_and_tag.size() < k_tag_size) {
    auth_failure();
  }
  const std::size_t ct_size = ciphertext_and_tag.size() - k_tag_size;
  CipherCtx ctx = make_ctx(key, nonce, false);
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), checked_int(aad.size())) != 1) {
    openssl_failure("AAD");
  }
  // Plaintext goes straight into secret memory; on a bad tag it is cleansed with the object.
  SecretBytes plaintext(ct_size);
  int written = 0;
  if (ct_size != 0) {
    if (EVP_DecryptUpdate(ctx.get(), plaintext.data(), &len, ciphertext_and_tag.data(),
                          checked_int(ct_size)) != 1) {
      openssl_failure("decrypt");
    }
    written = len;
  }
  // OpenSSL's ctrl takes a non-const pointer for SET_TAG although it only reads it.
  std::uint8_t tag[k_tag_size];
  std::copy(ciphertext_and_tag.begin() + static_cast<std::ptrdiff_t>(ct_size),
            ciphertext_and_tag.end(), tag);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(k_tag_size), tag) !=
      1) {
    openssl_failure("tag");
  }
  std::uint8_t scratch[16];
  std::uint8_t* final_out = ct_size != 0 ? plaintext.data() + written : scratch;
  if (EVP_DecryptFinal_ex(ctx.get(), final_out, &len) != 1) {
    auth_failure();
  }
  return plaintext;
}

Bytes aead_seal(const SecretBytes& key, ByteView plaintext, ByteView aad) {
  Bytes out(k_nonce_size + plaintext.size() + k_tag_size);
  random_fill(std::span<std::uint8_t>(out.data(), k_nonce_size));
  encrypt_into(key, ByteView(out.data(), k_nonce_size), plaintext, aad, out.data() + k_nonce_size);
  return out;
}

SecretBytes aead_open(const SecretBytes& key, ByteView sealed, ByteView aad) {
  if (sealed.size() < k_aead_overhead) {
    auth_failure();
  }
  return aes256gcm_decrypt(key, sealed.first(k_nonce_size), sealed.subspan(k_nonce_size), aad);
}

}  // namespace ward::crypto
