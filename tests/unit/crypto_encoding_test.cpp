// Base64 and base32 vectors: RFC 4648, section 10 (base32 shown lowercased and unpadded, the
// store-id form).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "ward/crypto/aead.hpp"
#include "ward/crypto/encoding.hpp"

namespace wc = ward::crypto;

namespace {
std::vector<std::uint8_t> bytes_of(std::string_view s) {
  const auto view = wc::as_bytes(s);
  return {view.begin(), view.end()};
}
}  // namespace

TEST_CASE("base64 RFC 4648 section 10 vectors") {
  const std::vector<std::pair<std::string, std::string>> vectors = {{"", ""},
                                                                    {"f", "Zg=="},
                                                                    {"fo", "Zm8="},
                                                                    {"foo", "Zm9v"},
                                                                    {"foob", "Zm9vYg=="},
                                                                    {"fooba", "Zm9vYmE="},
                                                                    {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    REQUIRE(wc::base64_encode(wc::as_bytes(plain)) == encoded);
    REQUIRE(wc::base64_decode(encoded) == bytes_of(plain));
    const auto secret = wc::base64_decode_secret(encoded);
    REQUIRE(secret.has_value());
    REQUIRE(secret->reveal() == plain);
  }
}

TEST_CASE("base64 uses the standard alphabet for all 64 values") {
  const std::vector<std::uint8_t> data = {0xfb, 0xff, 0xbf, 0x00, 0x10, 0x83};
  REQUIRE(wc::base64_encode(data) == "+/+/ABCD");
  REQUIRE(wc::base64_decode("+/+/ABCD") == data);
}

TEST_CASE("base64 decode tolerates a trailing newline only") {
  REQUIRE(wc::base64_decode("Zm9vYmFy\n") == bytes_of("foobar"));
  REQUIRE(wc::base64_decode("Zm9vYg==\r\n") == bytes_of("foob"));
  REQUIRE(wc::base64_decode("Zm9v \n\t") == bytes_of("foo"));
  REQUIRE(wc::base64_decode_secret("Zm9v\n")->reveal() == "foo");
  REQUIRE_FALSE(wc::base64_decode(" Zm9v").has_value());
  REQUIRE_FALSE(wc::base64_decode("Zm9v\nYmFy").has_value());
}

TEST_CASE("base64 decode rejects invalid input") {
  for (const char* bad : {"Zg", "Zg=", "Zm9", "Z===", "====", "Zg==Zg==", "Zm9v!", "Zm-v", "Zm_v",
                          "Zh==", "Zm9=", "=Zm9"}) {
    INFO(bad);
    REQUIRE_FALSE(wc::base64_decode(bad).has_value());
    REQUIRE_FALSE(wc::base64_decode_secret(bad).has_value());
  }
}

TEST_CASE("base32 RFC 4648 section 10 vectors, lowercase, no padding") {
  const std::vector<std::pair<std::string, std::string>> vectors = {{"", ""},
                                                                    {"f", "my"},
                                                                    {"fo", "mzxq"},
                                                                    {"foo", "mzxw6"},
                                                                    {"foob", "mzxw6yq"},
                                                                    {"fooba", "mzxw6ytb"},
                                                                    {"foobar", "mzxw6ytboi"}};
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    REQUIRE(wc::base32_encode(wc::as_bytes(plain)) == encoded);
  }
  const std::vector<std::uint8_t> ones(5, 0xff);
  REQUIRE(wc::base32_encode(ones) == "77777777");
}

TEST_CASE("hex encodes lowercase and round-trips") {
  std::vector<std::uint8_t> all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::uint8_t>(i));
  const auto text = wc::hex_encode(all);
  REQUIRE(text.size() == 512);
  REQUIRE(text.substr(0, 8) == "00010203");
  REQUIRE(text.substr(504) == "fcfdfeff");
  REQUIRE(wc::hex_decode(text) == all);
  REQUIRE(wc::hex_decode("DEADbeef") == std::vector<std::uint8_t>{0xde, 0xad, 0xbe, 0xef});
  REQUIRE_FALSE(wc::hex_decode("abc").has_value());
  REQUIRE_FALSE(wc::hex_decode("zz").has_value());
  REQUIRE(wc::hex_decode("")->empty());
}
