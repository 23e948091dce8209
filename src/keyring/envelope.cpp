#include "ward/keyring/envelope.hpp"

#include <algorithm>
#include <cstring>

#include "ward/crypto/random.hpp"
#include "ward/error.hpp"

namespace ward::keyring {
namespace {

constexpr std::array<std::uint8_t, 4> k_magic = {'W', 'A', 'R', 'D'};
constexpr std::uint8_t k_format = 1;

void put_u32(crypto::Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

crypto::Bytes labelled(std::string_view label, std::size_t extra) {
  crypto::Bytes out;
  out.reserve(label.size() + extra);
  for (const char c : label) out.push_back(static_cast<std::uint8_t>(c));
  return out;
}

void append(crypto::Bytes& out, std::string_view text) {
  for (const char c : text) out.push_back(static_cast<std::uint8_t>(c));
}

crypto::Bytes dek_aad(ObjectType type, WrapKind kind, std::uint32_t version,
                      std::string_view path) {
  auto aad = labelled("ward.dek.v1", 6 + path.size());
  aad.push_back(static_cast<std::uint8_t>(type));
  aad.push_back(static_cast<std::uint8_t>(kind));
  put_u32(aad, version);
  append(aad, path);
  return aad;
}

crypto::Bytes body_aad(ObjectType type, std::string_view path) {
  auto aad = labelled("ward.obj.v1", 1 + path.size());
  aad.push_back(static_cast<std::uint8_t>(type));
  append(aad, path);
  return aad;
}

crypto::Bytes encode(ObjectType type, WrapKind kind, std::uint32_t version,
                     std::span<const std::uint8_t> wrapped_dek,
                     std::span<const std::uint8_t> body) {
  crypto::Bytes out(k_envelope_header_size + body.size());
  std::memcpy(out.data(), k_magic.data(), k_magic.size());
  out[4] = k_format;
  out[5] = static_cast<std::uint8_t>(type);
  out[6] = static_cast<std::uint8_t>(kind);
  for (int i = 0; i < 4; ++i) out[7 + i] = static_cast<std::uint8_t>(version >> (24 - 8 * i));
  std::memcpy(out.data() + 11, wrapped_dek.data(), k_wrapped_dek_size);
  if (!body.empty()) std::memcpy(out.data() + k_envelope_header_size, body.data(), body.size());
  return out;
}

crypto::SecretBytes unwrap_dek(const crypto::SecretBytes& key, const ParsedEnvelope& envelope,
                               ObjectType expected_type, std::string_view path) {
  const auto& h = envelope.header;
  if (h.type != expected_type) fail(ErrorCode::auth, "object has an unexpected type");
  auto dek =
      crypto::aead_open(key, h.wrapped_dek, dek_aad(h.type, h.wrap_kind, h.wrap_version, path));
  if (dek.size() != crypto::k_key_size) fail(ErrorCode::auth, "object has a malformed data key");
  return dek;
}

}  // namespace

ParsedEnvelope parse_envelope(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < k_envelope_header_size + crypto::k_aead_overhead) {
    fail(ErrorCode::auth, "object is truncated");
  }
  if (!std::equal(k_magic.begin(), k_magic.end(), bytes.begin())) {
    fail(ErrorCode::auth, "object is not a ward object");
  }
  if (bytes[4] != k_format) fail(ErrorCode::auth, "object has an unknown format version");
  ParsedEnvelope parsed;
  const auto type = bytes[5];
  const auto kind = bytes[6];
  if (type < 1 || type > k_max_object_type) fail(ErrorCode::auth, "object has an unknown type");
  if (kind < 1 || kind > 2) fail(ErrorCode::auth, "object has an unknown wrapping kind");
  parsed.header.type = static_cast<ObjectType>(type);
  parsed.header.wrap_kind = static_cast<WrapKind>(kind);
  parsed.header.wrap_version = (std::uint32_t{bytes[7]} << 24) | (std::uint32_t{bytes[8]} << 16) |
                               (std::uint32_t{bytes[9]} << 8) | std::uint32_t{bytes[10]};
  std::memcpy(parsed.header.wrapped_dek.data(), bytes.data() + 11, k_wrapped_dek_size);
  parsed.body = bytes.subspan(k_envelope_header_size);
  return parsed;
}

crypto::Bytes seal_object(const crypto::SecretBytes& wrapping_key, WrapKind kind,
                          std::uint32_t wrap_version, ObjectType type, std::string_view path,
                          std::span<const std::uint8_t> plaintext) {
  const auto dek = crypto::random_secret(crypto::k_key_size);
  const auto wrapped =
      crypto::aead_seal(wrapping_key, dek.bytes(), dek_aad(type, kind, wrap_version, path));
  const auto body = crypto::aead_seal(dek, plaintext, body_aad(type, path));
  return encode(type, kind, wrap_version, wrapped, body);
}

crypto::SecretBytes open_object(const crypto::SecretBytes& wrapping_key,
                                const ParsedEnvelope& envelope, ObjectType expected_type,
                                std::string_view path) {
  const auto dek = unwrap_dek(wrapping_key, envelope, expected_type, path);
  return crypto::aead_open(dek, envelope.body, body_aad(expected_type, path));
}

crypto::Bytes rewrap_object(const crypto::SecretBytes& old_key, const crypto::SecretBytes& new_key,
                            WrapKind new_kind, std::uint32_t new_version,
                            const ParsedEnvelope& envelope, ObjectType expected_type,
                            std::string_view path) {
  const auto dek = unwrap_dek(old_key, envelope, expected_type, path);
  // Refuse to carry a damaged body forward under a fresh, valid-looking wrapping.
  (void)crypto::aead_open(dek, envelope.body, body_aad(expected_type, path));
  const auto wrapped =
      crypto::aead_seal(new_key, dek.bytes(), dek_aad(expected_type, new_kind, new_version, path));
  return encode(expected_type, new_kind, new_version, wrapped, envelope.body);
}

}  // namespace ward::keyring
