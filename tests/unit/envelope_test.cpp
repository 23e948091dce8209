// The object envelope of ward-store(5). The known-answer test builds an object byte by byte from
// the specification, with the raw AES-256-GCM primitive and fixed keys and nonces, and checks
// that ward opens it: a change to the format breaks this test before it breaks a store.
#include "ward/keyring/envelope.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "ward/crypto/aead.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/keyring/generations.hpp"

namespace wc = ward::crypto;
namespace wk = ward::keyring;
using ward::ErrorCode;
using ward::testing::error_code_of;

namespace {

wc::SecretBytes fixed_key(std::uint8_t fill) {
  wc::SecretBytes key(32);
  for (std::size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<std::uint8_t>(fill + i);
  return key;
}

wc::Bytes concat(std::initializer_list<wc::ByteView> parts) {
  wc::Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

}  // namespace

TEST_CASE("an envelope built from the specification opens") {
  const auto kek = fixed_key(0x10);
  const auto dek = fixed_key(0x80);
  const std::string path = "creds/ns/id/v000001";
  const wc::Bytes dek_nonce(12, 0x01);
  const wc::Bytes body_nonce(12, 0x02);
  const std::uint8_t type = 4;  // credential
  const std::uint8_t kind = 2;  // namespace KEK
  const wc::Bytes version = {0x00, 0x00, 0x00, 0x07};

  const auto dek_aad = concat({wc::as_bytes("ward.dek.v1"), wc::ByteView(&type, 1),
                               wc::ByteView(&kind, 1), version, wc::as_bytes(path)});
  const auto body_aad =
      concat({wc::as_bytes("ward.obj.v1"), wc::ByteView(&type, 1), wc::as_bytes(path)});
  const auto wrapped = wc::aes256gcm_encrypt(kek, dek_nonce, dek.bytes(), dek_aad);
  const auto body = wc::aes256gcm_encrypt(dek, body_nonce, wc::as_bytes("hello, store"), body_aad);
  const wc::Bytes header = {'W', 'A', 'R', 'D', 0x01, type, kind};
  const auto object = concat({header, version, dek_nonce, wrapped, body_nonce, body});

  // Pin the exact bytes: this vector is part of the format.
  REQUIRE(object.size() == 4 + 1 + 1 + 1 + 4 + 60 + 12 + 12 + 16);
  REQUIRE(wc::hex_encode(wc::ByteView(object).subspan(0, 11)) ==
          "574152440104020000000"
          "7");

  const auto parsed = wk::parse_envelope(object);
  REQUIRE(parsed.header.type == wk::ObjectType::credential);
  REQUIRE(parsed.header.wrap_kind == wk::WrapKind::kek);
  REQUIRE(parsed.header.wrap_version == 7);
  REQUIRE(wk::open_object(kek, parsed, wk::ObjectType::credential, path).reveal() ==
          "hello, store");
}

TEST_CASE("sealed objects open only at their path, with their type and key") {
  const auto key = wc::random_secret(32);
  const std::string path = "keys/ns/abc/kek/v000001";
  const auto sealed = wk::seal_object(key, wk::WrapKind::master, 3, wk::ObjectType::kek, path,
                                      wc::as_bytes("payload"));
  REQUIRE(sealed.size() == wk::k_envelope_header_size + wc::k_aead_overhead + 7);
  const auto parsed = wk::parse_envelope(sealed);
  REQUIRE(wk::open_object(key, parsed, wk::ObjectType::kek, path).reveal() == "payload");

  REQUIRE(error_code_of([&] {
            (void)wk::open_object(key, parsed, wk::ObjectType::kek, "keys/ns/abc/kek/v000002");
          }) == ErrorCode::auth);
  REQUIRE(error_code_of([&] {
            (void)wk::open_object(key, parsed, wk::ObjectType::credential, path);
          }) == ErrorCode::auth);
  REQUIRE(error_code_of([&] {
            (void)wk::open_object(wc::random_secret(32), parsed, wk::ObjectType::kek, path);
          }) == ErrorCode::auth);
}

TEST_CASE("every flipped bit of an object is detected") {
  const auto key = wc::random_secret(32);
  const std::string path = "creds/x/y/v000002";
  const auto sealed = wk::seal_object(key, wk::WrapKind::kek, 1, wk::ObjectType::credential, path,
                                      wc::as_bytes("s3cret"));
  for (std::size_t byte = 0; byte < sealed.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto damaged = sealed;
      damaged[byte] ^= static_cast<std::uint8_t>(1U << bit);
      INFO("byte " << byte << " bit " << bit);
      REQUIRE(error_code_of([&] {
                const auto parsed = wk::parse_envelope(damaged);
                (void)wk::open_object(key, parsed, wk::ObjectType::credential, path);
              }) == ErrorCode::auth);
    }
  }
  for (std::size_t length = 0; length < sealed.size(); length += 7) {
    const wc::Bytes truncated(sealed.begin(), sealed.begin() + static_cast<std::ptrdiff_t>(length));
    REQUIRE(error_code_of([&] {
              const auto parsed = wk::parse_envelope(truncated);
              (void)wk::open_object(key, parsed, wk::ObjectType::credential, path);
            }) == ErrorCode::auth);
  }
}

TEST_CASE("rewrap changes only the wrapped key, never the body") {
  const auto old_key = wc::random_secret(32);
  const auto new_key = wc::random_secret(32);
  const std::string path = "creds/a/b/v000001";
  const auto sealed = wk::seal_object(old_key, wk::WrapKind::kek, 1, wk::ObjectType::credential,
                                      path, wc::as_bytes("data"));
  const auto rewrapped =
      wk::rewrap_object(old_key, new_key, wk::WrapKind::kek, 2, wk::parse_envelope(sealed),
                        wk::ObjectType::credential, path);
  REQUIRE(std::equal(sealed.begin() + wk::k_envelope_header_size, sealed.end(),
                     rewrapped.begin() + wk::k_envelope_header_size));
  const auto parsed = wk::parse_envelope(rewrapped);
  REQUIRE(parsed.header.wrap_version == 2);
  REQUIRE(wk::open_object(new_key, parsed, wk::ObjectType::credential, path).reveal() == "data");
  REQUIRE(error_code_of([&] {
            (void)wk::open_object(old_key, parsed, wk::ObjectType::credential, path);
          }) == ErrorCode::auth);
}

TEST_CASE("generation and version names") {
  REQUIRE(wk::generation_name("creds/a/b/v000003", 2) == "creds/a/b/v000003.g2");
  const auto parsed = wk::parse_generation_name("creds/a/b/v000003.g12");
  REQUIRE(parsed);
  REQUIRE(parsed->logical == "creds/a/b/v000003");
  REQUIRE(parsed->generation == 12);
  REQUIRE_FALSE(wk::parse_generation_name("creds/a/b/v000003"));
  REQUIRE_FALSE(wk::parse_generation_name("x.g0"));
  REQUIRE_FALSE(wk::parse_generation_name("x.gabc"));
  const auto grouped = wk::group_generations({"a.g1", "a.g3", "b.g2", "junk"});
  REQUIRE(grouped.size() == 2);
  REQUIRE(grouped.at("a") == std::vector<std::uint32_t>{3, 1});
  REQUIRE(wk::version_name(3) == "v000003");
  REQUIRE(wk::parse_version_name("v000042") == 42U);
  REQUIRE_FALSE(wk::parse_version_name("x000042"));
  REQUIRE_FALSE(wk::parse_version_name("v"));
}
