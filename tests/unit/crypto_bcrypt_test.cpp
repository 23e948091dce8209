// Known hashes from Openwall's crypt_blowfish test suite (wrapper.c, tests[]), which
// libxcrypt also carries.
#include <catch2/catch.hpp>
#include <functional>
#include <string>

#include "test_support.hpp"
#include "ward/crypto/bcrypt.hpp"
#include "ward/error.hpp"

namespace wc = ward::crypto;

namespace {}  // namespace

TEST_CASE("bcrypt_verify accepts published $2a$/$2b$/$2y$ hashes") {
  REQUIRE(wc::bcrypt_verify(wc::SecretBytes::from("U*U"),
                            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  REQUIRE(wc::bcrypt_verify(wc::SecretBytes::from("U*U*"),
                            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"));
  REQUIRE(wc::bcrypt_verify(wc::SecretBytes::from("U*U*U"),
                            "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a"));
  REQUIRE(wc::bcrypt_verify(wc::SecretBytes::from(""),
                            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"));
  REQUIRE(wc::bcrypt_verify(wc::SecretBytes::from("\xff\xff\xa3"),
                            "$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"));
  REQUIRE(wc::bcrypt_verify(wc::SecretBytes::from("\xff\xff\xa3"),
                            "$2y$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"));
}

TEST_CASE("bcrypt_verify rejects wrong passwords and damaged or foreign hashes") {
  const std::string good = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
  REQUIRE_FALSE(wc::bcrypt_verify(wc::SecretBytes::from("U*U*"), good));
  REQUIRE_FALSE(wc::bcrypt_verify(wc::SecretBytes::from("u*U"), good));
  REQUIRE_FALSE(wc::bcrypt_verify(wc::SecretBytes::from("U*U"), good.substr(0, good.size() - 1)));
  auto damaged = good;
  damaged[40] = damaged[40] == 'a' ? 'b' : 'a';
  REQUIRE_FALSE(wc::bcrypt_verify(wc::SecretBytes::from("U*U"), damaged));
  REQUIRE_FALSE(wc::bcrypt_verify(wc::SecretBytes::from("U*U"), ""));
  REQUIRE_FALSE(wc::bcrypt_verify(wc::SecretBytes::from("U*U"), "garbage"));
  // A traditional DES crypt hash of "password" must not verify through the bcrypt API.
  REQUIRE_FALSE(wc::bcrypt_verify(wc::SecretBytes::from("password"), "abJnggxhB/yWI"));
}

TEST_CASE("bcrypt_hash produces $2b$ hashes at the requested cost that verify") {
  const auto password = wc::SecretBytes::from("correct horse battery staple");
  const auto hash = wc::bcrypt_hash(password, 4);
  REQUIRE(hash.rfind("$2b$04$", 0) == 0);
  REQUIRE(hash.size() == 60);
  REQUIRE(wc::bcrypt_verify(password, hash));
  REQUIRE_FALSE(wc::bcrypt_verify(wc::SecretBytes::from("correct horse battery stapler"), hash));
  // Fresh salt each time.
  REQUIRE(wc::bcrypt_hash(password, 4) != hash);
  REQUIRE(wc::bcrypt_hash(password, 5).rfind("$2b$05$", 0) == 0);
}

TEST_CASE("bcrypt rejects out-of-range costs and unsafe passwords with usage errors") {
  const auto ok = wc::SecretBytes::from("fine");
  REQUIRE(ward::testing::error_code_of([&] { (void)wc::bcrypt_hash(ok, 3); }) ==
          ward::ErrorCode::usage);
  REQUIRE(ward::testing::error_code_of([&] { (void)wc::bcrypt_hash(ok, 32); }) ==
          ward::ErrorCode::usage);

  const std::string long_password(73, 'x');
  REQUIRE(ward::testing::error_code_of([&] {
            (void)wc::bcrypt_hash(wc::SecretBytes::from(long_password), 4);
          }) == ward::ErrorCode::usage);
  REQUIRE(wc::bcrypt_hash(wc::SecretBytes::from(std::string(72, 'x')), 4).size() == 60);

  // Openwall's vector for a 100-character password hashed by truncation: ward refuses it
  // instead of silently ignoring the tail.
  const std::string truncated =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 "
      "are ignored";
  REQUIRE(ward::testing::error_code_of([&] {
            (void)wc::bcrypt_verify(wc::SecretBytes::from(truncated),
                                    "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui");
          }) == ward::ErrorCode::usage);

  const std::string with_nul("secret\0tail", 11);
  try {
    (void)wc::bcrypt_hash(wc::SecretBytes::from(with_nul), 4);
    FAIL("no exception");
  } catch (const ward::Error& e) {
    REQUIRE(e.code() == ward::ErrorCode::usage);
    REQUIRE(std::string(e.what()).find("secret") == std::string::npos);
  }
  try {
    (void)wc::bcrypt_hash(wc::SecretBytes::from(long_password), 4);
    FAIL("no exception");
  } catch (const ward::Error& e) {
    REQUIRE(std::string(e.what()).find("xxxx") == std::string::npos);
  }
}
