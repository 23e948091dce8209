#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ward/crypto/secret.hpp"

namespace ward::redact {

enum class ActionKind { mask, partial, hash, encrypt, drop, replace };

std::string_view to_string(ActionKind kind);
ActionKind parse_action(std::string_view text);  // throws Error(usage)

struct ActionSpec {
  ActionKind kind = ActionKind::mask;
  std::size_t keep = 4;     // partial: characters kept at the end
  std::string replacement;  // replace: the constant
};

// Keys the keyed actions need (borrowed from the namespace, which outlives the redaction).
struct ActionKeys {
  const crypto::SecretBytes* pseudonym_key = nullptr;  // hash
  const crypto::SecretBytes* token_key = nullptr;      // encrypt
};

// Applies one action to one value. `mask` keeps the length (one `*` per character), `partial`
// keeps the last N characters, `hash` gives `pii_` + 26 base32 characters of
// HMAC-SHA256(pseudonym key, value) — the same value gives the same pseudonym in every file,
// table and run of the namespace — `encrypt` gives a deterministic AES-SIV token
// (`wtk1.` + base64url) that `reveal_token` turns back into the value, `drop` gives nullopt
// (the format decides: empty cell, JSON null, SQL NULL, nothing in text), `replace` the constant.
class Redactor {
 public:
  Redactor(ActionSpec spec, ActionKeys keys);

  [[nodiscard]] const ActionSpec& spec() const { return m_spec; }
  [[nodiscard]] std::optional<std::string> apply(std::string_view value) const;
  // Whether a value is already this action's output, so a second run leaves it alone.
  [[nodiscard]] bool is_output(std::string_view value) const;
  // Whether the action needs the store's keys.
  static bool needs_keys(ActionKind kind) {
    return kind == ActionKind::hash || kind == ActionKind::encrypt;
  }

 private:
  ActionSpec m_spec;
  ActionKeys m_keys;
  crypto::SecretBytes m_siv_key;  // 64 bytes derived from the token key
};

inline constexpr std::string_view k_pseudonym_prefix = "pii_";
inline constexpr std::string_view k_token_prefix = "wtk1.";

// Decrypts a `wtk1.` token under the namespace's token key. Throws Error(usage) for text that is
// not a token and Error(auth) for a token this key did not make.
crypto::SecretBytes reveal_token(std::string_view token, const crypto::SecretBytes& token_key);

// A sample for reports: enough to recognise the kind of item, not the item. Keeps the last
// four characters of items longer than twelve (as receipts print card numbers), the first
// character of shorter ones, and stars everything else.
std::string masked_sample(std::string_view value);

}  // namespace ward::redact
