// AES-256-GCM known answers from McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)",
// revised 2005 (the NIST GCM submission), Appendix B, test cases 13-16 (256-bit keys).
#include <catch2/catch.hpp>
#include <functional>
#include <string>

#include "test_support.hpp"
#include "ward/crypto/aead.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"

namespace wc = ward::crypto;

namespace {

wc::Bytes unhex(std::string_view text) { return wc::hex_decode(text).value(); }

wc::SecretBytes key_from_hex(std::string_view text) {
  const auto bytes = unhex(text);
  return {bytes.data(), bytes.size()};
}

const char* const k_tc15_key = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
const char* const k_tc15_iv = "cafebabefacedbaddecaf888";
const char* const k_tc15_plain =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";

}  // namespace

TEST_CASE("AES-256-GCM test case 13: zero key, empty plaintext") {
  const auto key = key_from_hex(std::string(64, '0'));
  const auto out = wc::aes256gcm_encrypt(key, unhex(std::string(24, '0')), {}, {});
  REQUIRE(wc::hex_encode(out) == "530f8afbc74536b9a963b4f1c4cb738b");
  const auto back = wc::aes256gcm_decrypt(key, unhex(std::string(24, '0')), out, {});
  REQUIRE(back.empty());
}

TEST_CASE("AES-256-GCM test case 14: zero key, one zero block") {
  const auto key = key_from_hex(std::string(64, '0'));
  const auto iv = unhex(std::string(24, '0'));
  const auto out = wc::aes256gcm_encrypt(key, iv, unhex(std::string(32, '0')), {});
  REQUIRE(wc::hex_encode(out) ==
          "cea7403d4d606b6e074ec5d3baf39d18"    // ciphertext
          "d0d1c8a799996bf0265b98b5d48ab919");  // tag
  const auto back = wc::aes256gcm_decrypt(key, iv, out, {});
  REQUIRE(wc::hex_encode(back.bytes()) == std::string(32, '0'));
}

TEST_CASE("AES-256-GCM test case 15: four blocks, no AAD") {
  const auto key = key_from_hex(k_tc15_key);
  const auto out = wc::aes256gcm_encrypt(key, unhex(k_tc15_iv), unhex(k_tc15_plain), {});
  REQUIRE(wc::hex_encode(out) ==
          "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
          "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
          "b094dac5d93471bdec1a502270e3cc6c");
  const auto back = wc::aes256gcm_decrypt(key, unhex(k_tc15_iv), out, {});
  REQUIRE(wc::hex_encode(back.bytes()) == k_tc15_plain);
}

TEST_CASE("AES-256-GCM test case 16: partial block with AAD, and tampering") {
  const auto key = key_from_hex(k_tc15_key);
  const auto iv = unhex(k_tc15_iv);
  const auto plain = unhex(std::string(k_tc15_plain).substr(0, 120));
  const auto aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const auto out = wc::aes256gcm_encrypt(key, iv, plain, aad);
  REQUIRE(wc::hex_encode(out) ==
          "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
          "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
          "76fc6ece0f4e1768cddf8853bb2d551b");
  REQUIRE(wc::hex_encode(wc::aes256gcm_decrypt(key, iv, out, aad).bytes()) ==
          wc::hex_encode(plain));

  SECTION("flipped ciphertext bit") {
    auto bad = out;
    bad[5] ^= 0x01;
    REQUIRE(ward::testing::error_code_of([&] { (void)wc::aes256gcm_decrypt(key, iv, bad, aad); }) ==
            ward::ErrorCode::auth);
  }
  SECTION("flipped tag bit") {
    auto bad = out;
    bad.back() ^= 0x80;
    REQUIRE(ward::testing::error_code_of([&] { (void)wc::aes256gcm_decrypt(key, iv, bad, aad); }) ==
            ward::ErrorCode::auth);
  }
  SECTION("different AAD") {
    auto other_aad = aad;
    other_aad[0] ^= 0x01;
    REQUIRE(ward::testing::error_code_of([&] {
              (void)wc::aes256gcm_decrypt(key, iv, out, other_aad);
            }) == ward::ErrorCode::auth);
  }
  SECTION("missing AAD") {
    REQUIRE(ward::testing::error_code_of([&] { (void)wc::aes256gcm_decrypt(key, iv, out, {}); }) ==
            ward::ErrorCode::auth);
  }
}

TEST_CASE("aead_seal frames nonce || ciphertext || tag and round-trips") {
  const auto key = wc::random_secret(wc::k_key_size);
  const auto aad = wc::as_bytes("ns/default/cred/db-password");
  const auto sealed = wc::aead_seal(key, wc::as_bytes("hunter2"), aad);
  REQUIRE(sealed.size() == wc::k_aead_overhead + 7);

  // The framing is exactly the raw primitive under the embedded nonce.
  const wc::ByteView nonce(sealed.data(), wc::k_nonce_size);
  const auto raw = wc::aes256gcm_encrypt(key, nonce, wc::as_bytes("hunter2"), aad);
  REQUIRE(wc::Bytes(sealed.begin() + wc::k_nonce_size, sealed.end()) == raw);

  const auto opened = wc::aead_open(key, sealed, aad);
  REQUIRE(opened.reveal() == "hunter2");

  // Fresh nonces: sealing the same input twice gives different output.
  REQUIRE(wc::aead_seal(key, wc::as_bytes("hunter2"), aad) != sealed);
}

TEST_CASE("aead_open rejects tampering, wrong keys, other AAD and short input with auth") {
  const auto key = wc::random_secret(wc::k_key_size);
  const auto aad = wc::as_bytes("path-a");
  const auto sealed = wc::aead_seal(key, wc::as_bytes("payload"), aad);

  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto bad = sealed;
    bad[i] ^= 0x04;
    INFO("byte " << i);
    REQUIRE(ward::testing::error_code_of([&] { (void)wc::aead_open(key, bad, aad); }) ==
            ward::ErrorCode::auth);
  }
  const auto other_key = wc::random_secret(wc::k_key_size);
  REQUIRE(ward::testing::error_code_of([&] { (void)wc::aead_open(other_key, sealed, aad); }) ==
          ward::ErrorCode::auth);
  REQUIRE(ward::testing::error_code_of([&] {
            (void)wc::aead_open(key, sealed, wc::as_bytes("path-b"));
          }) == ward::ErrorCode::auth);
  const wc::Bytes short_input(sealed.begin(), sealed.begin() + wc::k_aead_overhead - 1);
  REQUIRE(ward::testing::error_code_of([&] { (void)wc::aead_open(key, short_input, aad); }) ==
          ward::ErrorCode::auth);
  REQUIRE(ward::testing::error_code_of([&] { (void)wc::aead_open(key, {}, aad); }) ==
          ward::ErrorCode::auth);

  try {
    auto bad = sealed;
    bad.back() ^= 1;
    (void)wc::aead_open(key, bad, aad);
    FAIL("no exception");
  } catch (const ward::Error& e) {
    REQUIRE(std::string(e.what()) == "authentication failed");
  }
}

TEST_CASE("AES-256-GCM requires a 32-byte key") {
  const auto short_key = wc::random_secret(16);
  REQUIRE(ward::testing::error_code_of([&] {
            (void)wc::aead_seal(short_key, wc::as_bytes("x"), {});
          }) == ward::ErrorCode::internal);
}
