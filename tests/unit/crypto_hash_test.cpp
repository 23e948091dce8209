#include <algorithm>
#include <catch2/catch.hpp>
#include <span>
#include <string>
#include <vector>

#include "ward/crypto/aead.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/hash.hpp"

namespace wc = ward::crypto;

namespace {
std::vector<std::uint8_t> repeat(std::uint8_t b, std::size_t n) { return std::vector(n, b); }
std::vector<std::uint8_t> range(int from, int to) {
  std::vector<std::uint8_t> out;
  for (int i = from; i <= to; ++i) out.push_back(static_cast<std::uint8_t>(i));
  return out;
}
}  // namespace

// FIPS 180-2, Appendix B.1 (one-block message "abc").
TEST_CASE("SHA-256 of abc") {
  REQUIRE(wc::hex_encode(wc::sha256(wc::as_bytes("abc"))) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Empty input, same standard's well-known digest.
  REQUIRE(wc::hex_encode(wc::sha256({})) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("SHA-256 in pieces is the SHA-256 of the whole, and starts over after finish") {
  std::vector<std::uint8_t> data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<std::uint8_t>(i * 7 + (i >> 9)));
  wc::Sha256Stream stream;
  for (std::size_t at = 0, piece = 1; at < data.size(); at += piece, piece = piece * 3 + 1) {
    stream.update(std::span(data).subspan(at, std::min(piece, data.size() - at)));
  }
  REQUIRE(stream.finish() == wc::sha256(data));
  stream.update(wc::as_bytes("abc"));
  REQUIRE(wc::hex_encode(stream.finish()) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  stream.update(wc::as_bytes("discarded"));
  stream.reset();
  REQUIRE(stream.finish() == wc::sha256({}));
}

// RFC 4231, section 4.
TEST_CASE("HMAC-SHA256 RFC 4231 test case 1") {
  REQUIRE(wc::hex_encode(wc::hmac_sha256(repeat(0x0b, 20), wc::as_bytes("Hi There"))) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST_CASE("HMAC-SHA256 RFC 4231 test case 2") {
  REQUIRE(wc::hex_encode(wc::hmac_sha256(wc::as_bytes("Jefe"),
                                         wc::as_bytes("what do ya want for nothing?"))) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("HMAC-SHA256 RFC 4231 test case 6 (key longer than a block)") {
  REQUIRE(wc::hex_encode(wc::hmac_sha256(
              repeat(0xaa, 131),
              wc::as_bytes("Test Using Larger Than Block-Size Key - Hash Key First"))) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// RFC 5869, appendix A.
TEST_CASE("HKDF-SHA256 RFC 5869 test case 1") {
  const auto okm = wc::hkdf_sha256(repeat(0x0b, 22), range(0x00, 0x0c), range(0xf0, 0xf9), 42);
  REQUIRE(wc::hex_encode(okm.bytes()) ==
          "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
          "34007208d5b887185865");
}

TEST_CASE("HKDF-SHA256 RFC 5869 test case 2 (long inputs)") {
  const auto okm = wc::hkdf_sha256(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82);
  REQUIRE(wc::hex_encode(okm.bytes()) ==
          "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
          "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
          "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST_CASE("HKDF-SHA256 RFC 5869 test case 3 (no salt, no info)") {
  const auto okm = wc::hkdf_sha256(repeat(0x0b, 22), {}, {}, 42);
  REQUIRE(wc::hex_encode(okm.bytes()) ==
          "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
          "9d201395faa4b61a96c8");
}

TEST_CASE("constant_time_equal") {
  REQUIRE(wc::constant_time_equal(wc::as_bytes("abc"), wc::as_bytes("abc")));
  REQUIRE_FALSE(wc::constant_time_equal(wc::as_bytes("abc"), wc::as_bytes("abd")));
  REQUIRE_FALSE(wc::constant_time_equal(wc::as_bytes("abc"), wc::as_bytes("ab")));
  REQUIRE(wc::constant_time_equal({}, {}));
}
