#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <vector>

#include "ward/crypto/aead.hpp"
#include "ward/crypto/secret.hpp"
#include "ward/error.hpp"

namespace ward::keyring {

// The plaintext of a key object: N raw 32-byte keys, then a JSON document of non-secret
// metadata. Keys never pass through JSON strings, which would leave copies in ordinary memory.
struct KeyBundle {
  std::vector<crypto::SecretBytes> keys;
  nlohmann::json metadata;

  static crypto::SecretBytes pack(std::initializer_list<const crypto::SecretBytes*> keys,
                                  const nlohmann::json& metadata) {
    crypto::SecretBytes out;
    for (const auto* key : keys) out.append(key->bytes());
    out.append(metadata.dump());
    return out;
  }

  static KeyBundle unpack(const crypto::SecretBytes& plaintext, std::size_t key_count) {
    const auto key_bytes = key_count * crypto::k_key_size;
    if (plaintext.size() < key_bytes) fail(ErrorCode::auth, "key object is truncated");
    KeyBundle bundle;
    for (std::size_t i = 0; i < key_count; ++i) {
      bundle.keys.emplace_back(plaintext.data() + i * crypto::k_key_size, crypto::k_key_size);
    }
    const auto tail = plaintext.reveal().substr(key_bytes);
    bundle.metadata = nlohmann::json::parse(tail, nullptr, /*allow_exceptions=*/false);
    if (!bundle.metadata.is_object()) fail(ErrorCode::auth, "key object has malformed metadata");
    return bundle;
  }
};

}  // namespace ward::keyring
