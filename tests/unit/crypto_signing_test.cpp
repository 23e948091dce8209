// Ed25519 vectors: RFC 8032, section 7.1, TEST 1 and TEST 2.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "ward/crypto/aead.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/signing.hpp"
#include "ward/error.hpp"

namespace wc = ward::crypto;

namespace {

wc::SecretBytes seed_from_hex(std::string_view text) {
  const auto bytes = wc::hex_decode(text).value();
  return {bytes.data(), bytes.size()};
}

template <std::size_t N>
std::array<std::uint8_t, N> array_from_hex(std::string_view text) {
  const auto bytes = wc::hex_decode(text).value();
  REQUIRE(bytes.size() == N);
  std::array<std::uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

struct Vector {
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};

const Vector k_test1 = {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
                        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"};
const Vector k_test2 = {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
                        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"};

void check_vector(const Vector& v) {
  const auto seed = seed_from_hex(v.seed);
  const auto message = wc::hex_decode(v.message).value();
  const auto public_key = wc::ed25519_public_key(seed);
  REQUIRE(wc::hex_encode(public_key) == v.public_key);
  const auto signature = wc::ed25519_sign(seed, message);
  REQUIRE(wc::hex_encode(signature) == v.signature);
  REQUIRE(wc::ed25519_verify(public_key, message, signature));

  for (std::size_t bit : {0u, 100u, 511u}) {
    auto bad = signature;
    bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    INFO("signature bit " << bit);
    REQUIRE_FALSE(wc::ed25519_verify(public_key, message, bad));
  }
  auto other_message = message;
  other_message.push_back(0x00);
  REQUIRE_FALSE(wc::ed25519_verify(public_key, other_message, signature));
}

}  // namespace

TEST_CASE("Ed25519 RFC 8032 TEST 1 (empty message)") { check_vector(k_test1); }

TEST_CASE("Ed25519 RFC 8032 TEST 2 (one-byte message)") { check_vector(k_test2); }

TEST_CASE("Ed25519 signatures do not verify under another key") {
  const auto signature = array_from_hex<64>(k_test2.signature);
  const auto other_key = array_from_hex<32>(k_test1.public_key);
  REQUIRE_FALSE(wc::ed25519_verify(other_key, std::vector<std::uint8_t>{0x72}, signature));
}

TEST_CASE("ed25519_generate produces a consistent key pair") {
  const auto pair = wc::ed25519_generate();
  REQUIRE(pair.seed.size() == 32);
  REQUIRE(pair.public_key == wc::ed25519_public_key(pair.seed));
  const auto message = wc::as_bytes("checkpoint 42");
  const auto signature = wc::ed25519_sign(pair.seed, message);
  REQUIRE(wc::ed25519_verify(pair.public_key, message, signature));
  REQUIRE_FALSE(wc::ed25519_generate().public_key == pair.public_key);
}

TEST_CASE("Ed25519 rejects seeds that are not 32 bytes") {
  try {
    (void)wc::ed25519_public_key(wc::SecretBytes(31));
    FAIL("no exception");
  } catch (const ward::Error& e) {
    REQUIRE(e.code() == ward::ErrorCode::internal);
  }
}
