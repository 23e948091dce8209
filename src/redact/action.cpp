#include "ward/redact/action.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <memory>

#include "ward/crypto/aead.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/hash.hpp"
#include "ward/error.hpp"

namespace ward::redact {
namespace {

struct CipherDeleter {
  void operator()(EVP_CIPHER* cipher) const { EVP_CIPHER_free(cipher); }
};
struct ContextDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

constexpr std::size_t k_siv_tag = 16;
constexpr std::string_view k_siv_info = "ward redact token AES-256-SIV v1";

std::unique_ptr<EVP_CIPHER, CipherDeleter> siv_cipher() {
  std::unique_ptr<EVP_CIPHER, CipherDeleter> cipher(
      EVP_CIPHER_fetch(nullptr, "AES-256-SIV", nullptr));
  if (!cipher) fail(ErrorCode::internal, "OpenSSL does not provide AES-256-SIV");
  return cipher;
}

std::string base64url(std::span<const std::uint8_t> bytes) {
  auto text = crypto::base64_encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (auto& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

std::optional<std::vector<std::uint8_t>> from_base64url(std::string_view text) {
  std::string standard(text);
  for (auto& c : standard) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return std::nullopt;
  }
  while (standard.size() % 4 != 0) standard += '=';
  return crypto::base64_decode(standard);
}

// Deterministic authenticated encryption (RFC 5297): the same value gives the same token, so
// tokens still join; the synthetic IV authenticates it.
std::string siv_seal(const crypto::SecretBytes& key, std::string_view value) {
  const auto cipher = siv_cipher();
  std::unique_ptr<EVP_CIPHER_CTX, ContextDeleter> ctx(EVP_CIPHER_CTX_new());
  std::vector<std::uint8_t> out(k_siv_tag + value.size());
  int written = 0;
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), cipher.get(), key.data(), nullptr, nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data() + k_siv_tag, &written,
                        reinterpret_cast<const unsigned char*>(value.data()),
                        static_cast<int>(value.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + k_siv_tag + written, &written) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(k_siv_tag),
                          out.data()) != 1) {
    fail(ErrorCode::internal, "AES-SIV encryption failed");
  }
  return std::string(k_token_prefix) + base64url(out);
}

std::string_view trim_utf8_tail(std::string_view value, std::size_t keep) {
  // The last `keep` characters, counted as UTF-8 code points.
  std::size_t start = value.size();
  std::size_t kept = 0;
  while (start > 0 && kept < keep) {
    --start;
    if ((static_cast<unsigned char>(value[start]) & 0xC0U) != 0x80U) ++kept;
  }
  return value.substr(start);
}

std::size_t utf8_length(std::string_view value) {
  std::size_t n = 0;
  for (const char c : value) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++n;
  }
  return n;
}

}  // namespace

std::string_view to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::mask:
      return "mask";
    case ActionKind::partial:
      return "partial";
    case ActionKind::hash:
      return "hash";
    case ActionKind::encrypt:
      return "encrypt";
    case ActionKind::drop:
      return "drop";
    case ActionKind::replace:
      return "replace";
  }
  return "mask";
}

ActionKind parse_action(std::string_view text) {
  for (const auto kind : {ActionKind::mask, ActionKind::partial, ActionKind::hash,
                          ActionKind::encrypt, ActionKind::drop, ActionKind::replace}) {
    if (to_string(kind) == text) return kind;
  }
  fail(ErrorCode::usage, "unknown action '" + std::string(text) + "'",
       "actions: mask, partial, hash, encrypt, drop, replace");
}

Redactor::Redactor(ActionSpec spec, ActionKeys keys) : m_spec(std::move(spec)), m_keys(keys) {
  if (m_spec.kind == ActionKind::hash && m_keys.pseudonym_key == nullptr) {
    fail(ErrorCode::internal, "the hash action needs the namespace's pseudonym key");
  }
  if (m_spec.kind == ActionKind::encrypt) {
    if (m_keys.token_key == nullptr) {
      fail(ErrorCode::internal, "the encrypt action needs the namespace's token key");
    }
    m_siv_key =
        crypto::hkdf_sha256(m_keys.token_key->bytes(), {}, crypto::as_bytes(k_siv_info), 64);
    (void)siv_cipher();  // fail before any data is touched when the provider lacks SIV
  }
}

std::optional<std::string> Redactor::apply(std::string_view value) const {
  switch (m_spec.kind) {
    case ActionKind::mask:
      return std::string(utf8_length(value), '*');
    case ActionKind::partial: {
      const auto tail = trim_utf8_tail(value, m_spec.keep);
      return std::string(utf8_length(value) - utf8_length(tail), '*') + std::string(tail);
    }
    case ActionKind::hash: {
      const auto mac = crypto::hmac_sha256(m_keys.pseudonym_key->bytes(), crypto::as_bytes(value));
      return std::string(k_pseudonym_prefix) +
             crypto::base32_encode(std::span(mac).first(16)).substr(0, 26);
    }
    case ActionKind::encrypt:
      if (value.empty()) return std::string();  // nothing to protect
      return siv_seal(m_siv_key, value);
    case ActionKind::drop:
      return std::nullopt;
    case ActionKind::replace:
      return m_spec.replacement;
  }
  return std::nullopt;
}

bool Redactor::is_output(std::string_view value) const {
  switch (m_spec.kind) {
    case ActionKind::mask:
      return !value.empty() && value.find_first_not_of('*') == value.npos;
    case ActionKind::partial: {
      const auto tail = trim_utf8_tail(value, m_spec.keep);
      const auto head = value.substr(0, value.size() - tail.size());
      return !head.empty() && head.find_first_not_of('*') == head.npos;
    }
    case ActionKind::hash:
      return value.size() == k_pseudonym_prefix.size() + 26 &&
             value.starts_with(k_pseudonym_prefix);
    case ActionKind::encrypt:
      return value.starts_with(k_token_prefix);
    case ActionKind::drop:
      return false;
    case ActionKind::replace:
      return value == m_spec.replacement;
  }
  return false;
}

crypto::SecretBytes reveal_token(std::string_view token, const crypto::SecretBytes& token_key) {
  if (!token.starts_with(k_token_prefix)) {
    fail(ErrorCode::usage, "not a ward redaction token (they start with wtk1.)");
  }
  const auto bytes = from_base64url(token.substr(k_token_prefix.size()));
  if (!bytes || bytes->size() < k_siv_tag) {
    fail(ErrorCode::usage, "malformed ward redaction token");
  }
  const auto key = crypto::hkdf_sha256(token_key.bytes(), {}, crypto::as_bytes(k_siv_info), 64);
  const auto cipher = siv_cipher();
  std::unique_ptr<EVP_CIPHER_CTX, ContextDeleter> ctx(EVP_CIPHER_CTX_new());
  crypto::SecretBytes plain(bytes->size() - k_siv_tag);
  int written = 0;
  std::vector<std::uint8_t> tag(bytes->begin(), bytes->begin() + k_siv_tag);
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), cipher.get(), key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(k_siv_tag),
                          tag.data()) != 1) {
    fail(ErrorCode::internal, "AES-SIV decryption setup failed");
  }
  if (EVP_DecryptUpdate(ctx.get(), plain.data(), &written, bytes->data() + k_siv_tag,
                        static_cast<int>(bytes->size() - k_siv_tag)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain.data() + written, &written) != 1) {
    fail(ErrorCode::auth, "the token does not authenticate under this namespace's token key",
         "was it made in another namespace or store?");
  }
  return plain;
}

std::string masked_sample(std::string_view value) {
  const auto n = utf8_length(value);
  if (n > 12) return std::string(n - 4, '*') + std::string(trim_utf8_tail(value, 4));
  if (n > 4) return std::string(value.substr(0, 1)) + std::string(n - 1, '*');
  return std::string(n, '*');
}

}  // namespace ward::redact
