#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ward/crypto/aead.hpp"
#include "ward/crypto/secret.hpp"

namespace ward::keyring {

// What an object is. Part of every object's associated data, so an object of one type can
// never be passed off as another.
enum class ObjectType : std::uint8_t {
  root_keys = 1,        // keys/root/store: store-wide keys (names, audit, checkpoint signing)
  namespace_meta = 2,   // keys/ns/<ns>/meta: the namespace's name and its never-rotated keys
  kek = 3,              // keys/ns/<ns>/kek/<version>
  credential = 4,       // creds/<ns>/<id>/<version>
  backup_index = 5,     // backups/<ns>/index/<pack-id>: a pack's data key and chunk table
  backup_snapshot = 6,  // backups/<ns>/snapshots/<snapshot-id>: one snapshot's metadata
  check_result = 7,     // checks/<ns>/<target-id>/<time>-<random>: one stored check result
  redact_run = 8,       // redact/<ns>/<job-id>/<time>-<random>: one redaction run record
  report = 9,           // reports/<ns>/<time>-<random>.<format>: one emitted audit report
};
inline constexpr std::uint8_t k_max_object_type = 9;

// Which key wraps an object's data key.
enum class WrapKind : std::uint8_t {
  master = 1,  // the store's master key; wrap_version is the master key's serial
  kek = 2,     // a namespace KEK; wrap_version is the KEK version
};

inline constexpr std::size_t k_wrapped_dek_size = crypto::k_key_size + crypto::k_aead_overhead;
inline constexpr std::size_t k_envelope_header_size = 4 + 1 + 1 + 1 + 4 + k_wrapped_dek_size;

// The byte layout (see ward-store(5)):
//   "WARD" | format 0x01 | type | wrap kind | wrap version (u32 BE) | wrapped DEK (60)
//   | body nonce (12) | body ciphertext | body tag (16)
struct EnvelopeHeader {
  ObjectType type{};
  WrapKind wrap_kind{};
  std::uint32_t wrap_version = 0;
  std::array<std::uint8_t, k_wrapped_dek_size> wrapped_dek{};
};

struct ParsedEnvelope {
  EnvelopeHeader header;
  std::span<const std::uint8_t> body;  // nonce || ciphertext || tag, borrowed from the input
};

// Parses untrusted bytes; throws Error(auth) when they are not a well-formed envelope.
ParsedEnvelope parse_envelope(std::span<const std::uint8_t> bytes);

// Encrypts `plaintext` under a fresh DEK and wraps the DEK with `wrapping_key`. The body's AAD
// binds the type and the logical path; the DEK's AAD also binds the wrapping key's identity.
crypto::Bytes seal_object(const crypto::SecretBytes& wrapping_key, WrapKind kind,
                          std::uint32_t wrap_version, ObjectType type, std::string_view path,
                          std::span<const std::uint8_t> plaintext);

// Decrypts an object whose wrapping key the caller resolved from the header. Throws
// Error(auth) when anything fails to authenticate (tampered, moved, wrong type or key).
crypto::SecretBytes open_object(const crypto::SecretBytes& wrapping_key,
                                const ParsedEnvelope& envelope, ObjectType expected_type,
                                std::string_view path);

// Re-wraps the DEK under another key; the body bytes are copied unchanged (rewrap never
// re-encrypts data). Verifies the body authenticates before producing the new envelope.
crypto::Bytes rewrap_object(const crypto::SecretBytes& old_key, const crypto::SecretBytes& new_key,
                            WrapKind new_kind, std::uint32_t new_version,
                            const ParsedEnvelope& envelope, ObjectType expected_type,
                            std::string_view path);

}  // namespace ward::keyring
