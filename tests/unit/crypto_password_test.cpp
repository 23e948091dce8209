#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "ward/crypto/password.hpp"
#include "ward/error.hpp"

namespace wc = ward::crypto;

namespace {

constexpr std::string_view k_symbols = "!#$%&()*+,-./:;<=>?@[]^_{|}~";

bool has_any(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

bool only(std::string_view s, std::string_view chars) {
  return s.find_first_not_of(chars) == std::string_view::npos;
}

std::string usage_message(std::string_view spec) {
  try {
    (void)wc::GenerationPolicy::parse(spec);
  } catch (const ward::Error& e) {
    REQUIRE(e.code() == ward::ErrorCode::usage);
    return e.what();
  }
  FAIL("spec '" << spec << "' was accepted");
  return {};
}

bool contains(const std::vector<std::string>& problems, std::string_view text) {
  return std::find(problems.begin(), problems.end(), text) != problems.end();
}

}  // namespace

TEST_CASE("GenerationPolicy parses a full spec") {
  const auto p = wc::GenerationPolicy::parse("length=32,classes=ulds,exclude=0OIl1");
  REQUIRE(p.length == 32);
  REQUIRE((p.upper && p.lower && p.digits && p.symbols));
  REQUIRE(p.exclude == "0OIl1");
  const auto alphabet = p.alphabet();
  REQUIRE(alphabet.size() == 90 - 5);
  REQUIRE_FALSE(has_any(alphabet, "0OIl1"));
  REQUIRE(p.describe() == "length=32,classes=ulds,exclude=0OIl1");
}

TEST_CASE("GenerationPolicy presets and bare lengths") {
  const auto def = wc::GenerationPolicy::parse("default");
  REQUIRE(def.describe() == "length=32,classes=ulds");
  REQUIRE(def.alphabet() == "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" +
                                std::string(k_symbols));
  REQUIRE(def.entropy_bits() == Approx(32 * std::log2(90.0)));

  REQUIRE(wc::GenerationPolicy::parse("alnum").describe() == "length=32,classes=uld");
  REQUIRE(wc::GenerationPolicy::parse("alnum").alphabet().size() == 62);

  const auto hex = wc::GenerationPolicy::parse("hex");
  REQUIRE(hex.length == 64);
  REQUIRE(hex.alphabet() == "0123456789abcdef");
  REQUIRE(hex.entropy_bits() == 256.0);
  REQUIRE(hex.describe() == "hex,length=64");

  const auto pin = wc::GenerationPolicy::parse("pin");
  REQUIRE(pin.describe() == "length=8,classes=d");
  REQUIRE(pin.alphabet() == "0123456789");

  REQUIRE(wc::GenerationPolicy::parse("24").describe() == "length=24,classes=ulds");
  REQUIRE(wc::GenerationPolicy::parse("alnum,length=20").describe() == "length=20,classes=uld");
  REQUIRE(wc::GenerationPolicy::parse("hex,40").describe() == "hex,length=40");
  REQUIRE(wc::GenerationPolicy::parse(" length = 16 , classes = ld ").describe() ==
          "length=16,classes=ld");
  REQUIRE(wc::generation_presets() == std::vector<std::string>{"default", "alnum", "hex", "pin"});
}

TEST_CASE("GenerationPolicy::describe round-trips through parse") {
  for (const char* spec : {"default", "alnum", "hex", "pin", "length=12,classes=us,exclude=ABC",
                           "hex,length=20,exclude=abc", "length=4096,classes=l"}) {
    INFO(spec);
    const auto p = wc::GenerationPolicy::parse(spec);
    REQUIRE(wc::GenerationPolicy::parse(p.describe()).describe() == p.describe());
    REQUIRE(wc::GenerationPolicy::parse(p.describe()).alphabet() == p.alphabet());
  }
}

TEST_CASE("GenerationPolicy rejects malformed specs with usage errors") {
  REQUIRE(usage_message("") == "empty secret policy");
  REQUIRE(usage_message("passphrase") == "unknown secret preset 'passphrase'");
  REQUIRE(usage_message("bogus") == "unknown secret preset 'bogus'");
  REQUIRE(usage_message("length=0") == "secret length must be between 1 and 4096");
  REQUIRE(usage_message("4097") == "secret length must be between 1 and 4096");
  REQUIRE(usage_message("length=-3") == "length must be a positive integer, got '-3'");
  REQUIRE(usage_message("length=abc") == "length must be a positive integer, got 'abc'");
  REQUIRE(usage_message("classes=ulx") ==
          "unknown character class 'x': use u (upper), l (lower), d (digits), s (symbols)");
  REQUIRE(usage_message("classes=") == "classes must name at least one of u, l, d, s");
  REQUIRE(usage_message("colour=red") == "unknown secret policy key 'colour'");
  REQUIRE(usage_message("length=3,classes=ulds") ==
          "length 3 is too short to include each of the 4 selected classes");
  REQUIRE(usage_message("classes=d,exclude=0123456789") ==
          "the exclusions remove every character of a selected class");
  REQUIRE(usage_message("length=10,alnum") == "preset 'alnum' must come first in a secret policy");
  REQUIRE(usage_message("length=10,,classes=u").rfind("empty item", 0) == 0);
  REQUIRE(usage_message("99999999999999999999999") ==
          "unknown secret preset '99999999999999999999999'");
}

TEST_CASE("generate_secret honours length, classes and exclusions") {
  const auto p = wc::GenerationPolicy::parse("length=32,classes=ulds,exclude=0OIl1");
  for (int i = 0; i < 200; ++i) {
    const auto s = wc::generate_secret(p);
    const auto text = s.reveal();
    REQUIRE(text.size() == 32);
    REQUIRE(only(text, p.alphabet()));
    REQUIRE_FALSE(has_any(text, "0OIl1"));
  }
}

TEST_CASE("generate_secret includes every class even at the minimum length") {
  const auto p = wc::GenerationPolicy::parse("length=4,classes=ulds");
  for (int i = 0; i < 500; ++i) {
    const auto s = wc::generate_secret(p);
    const auto text = s.reveal();
    REQUIRE(text.size() == 4);
    REQUIRE(has_any(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
    REQUIRE(has_any(text, "abcdefghijklmnopqrstuvwxyz"));
    REQUIRE(has_any(text, "0123456789"));
    REQUIRE(has_any(text, k_symbols));
  }
}

TEST_CASE("generate_secret shuffles the guaranteed characters") {
  // Without the shuffle, position 0 would always be an upper-case letter.
  const auto p = wc::GenerationPolicy::parse("length=4,classes=ulds");
  int upper_first = 0;
  for (int i = 0; i < 400; ++i) {
    const char c = wc::generate_secret(p).reveal()[0];
    if (c >= 'A' && c <= 'Z') ++upper_first;
  }
  REQUIRE(upper_first < 300);
  REQUIRE(upper_first > 20);
}

TEST_CASE("generate_secret for the hex and pin presets") {
  const auto hex = wc::generate_secret(wc::GenerationPolicy::parse("hex"));
  REQUIRE(hex.size() == 64);
  REQUIRE(only(hex.reveal(), "0123456789abcdef"));
  const auto pin = wc::generate_secret(wc::GenerationPolicy::parse("pin"));
  REQUIRE(pin.size() == 8);
  REQUIRE(only(pin.reveal(), "0123456789"));
  REQUIRE_FALSE(wc::generate_secret(wc::GenerationPolicy::parse("default"))
                    .equals(wc::generate_secret(wc::GenerationPolicy::parse("default"))));
}

TEST_CASE("generate_secret validates hand-built policies") {
  wc::GenerationPolicy p;
  p.upper = p.lower = p.digits = p.symbols = false;
  try {
    (void)wc::generate_secret(p);
    FAIL("no exception");
  } catch (const ward::Error& e) {
    REQUIRE(e.code() == ward::ErrorCode::usage);
    REQUIRE(std::string(e.what()) == "no character classes selected");
  }
}

TEST_CASE("assess_strength rejects a common password without echoing it") {
  const auto report = wc::assess_strength(wc::SecretBytes::from("password"));
  REQUIRE_FALSE(report.acceptable);
  REQUIRE(report.length == 8);
  REQUIRE(report.score == 0);
  REQUIRE(report.entropy_bits < 10.0);
  REQUIRE(contains(report.problems, "is a commonly used password"));
  REQUIRE(contains(report.problems, "shorter than 12 characters"));
  REQUIRE(report.problems.size() == 3);
  REQUIRE(report.problems[1].rfind("estimated strength ", 0) == 0);
  REQUIRE(report.problems[1].find(" bits is below the policy's 60 bits") != std::string::npos);
  // The deny list is case-insensitive, and no problem quotes the secret.
  const auto other = wc::assess_strength(wc::SecretBytes::from("LetMeIn"));
  REQUIRE(contains(other.problems, "is a commonly used password"));
  for (const auto& problem : other.problems) {
    REQUIRE(problem.find("LetMeIn") == std::string::npos);
    REQUIRE(problem.find("letmein") == std::string::npos);
  }
}

TEST_CASE("assess_strength accepts a generated 24-character secret") {
  const auto secret = wc::generate_secret(wc::GenerationPolicy::parse("24"));
  const auto report = wc::assess_strength(secret);
  INFO("bits " << report.entropy_bits);
  REQUIRE(report.acceptable);
  REQUIRE(report.problems.empty());
  REQUIRE(report.length == 24);
  REQUIRE(report.score == 4);
  REQUIRE(report.entropy_bits >= 60.0);
}

TEST_CASE("assess_strength applies the policy's limits") {
  const auto secret = wc::generate_secret(wc::GenerationPolicy::parse("16"));
  const auto strict = wc::assess_strength(secret, {.min_length = 20, .min_entropy_bits = 60});
  REQUIRE_FALSE(strict.acceptable);
  REQUIRE(strict.problems == std::vector<std::string>{"shorter than 20 characters"});

  const auto report = wc::assess_strength(wc::SecretBytes::from("aaaaaaaaaaaaaaaaaaaa"));
  REQUIRE_FALSE(report.acceptable);
  REQUIRE(report.problems.size() == 1);
  REQUIRE(report.problems[0].rfind("estimated strength ", 0) == 0);

  // Length counts characters, not UTF-8 bytes.
  REQUIRE(wc::assess_strength(wc::SecretBytes::from("\xc3\xa9\xc3\xa9\xc3\xa9")).length == 3);
  const auto empty = wc::assess_strength(wc::SecretBytes());
  REQUIRE(empty.problems.front() == "is empty");
  REQUIRE(empty.score == 0);
}

TEST_CASE("assess_strength scores by zxcvbn's guess thresholds") {
  // log2 of 1e3, 1e6, 1e8, 1e10 guesses: scores step at 9.97, 19.93, 26.58 and 33.22 bits.
  for (const char* text :
       {"password", "Tr0ub4dor&3", "correct horse battery staple", "zx", "xK9#mQ2$vL7!"}) {
    const auto r = wc::assess_strength(wc::SecretBytes::from(text));
    const double guesses = std::exp2(r.entropy_bits);
    const int expected = guesses < 1e3    ? 0
                         : guesses < 1e6  ? 1
                         : guesses < 1e8  ? 2
                         : guesses < 1e10 ? 3
                                          : 4;
    INFO(text << ": " << r.entropy_bits << " bits");
    REQUIRE(r.score == expected);
  }
  // One example per bucket, two of them just past a threshold (9.98 and 20.04 bits). These
  // pin the estimates of zxcvbn-c as packaged in Debian 12.
  REQUIRE(wc::assess_strength(wc::SecretBytes::from("dragon77")).score == 0);
  REQUIRE(wc::assess_strength(wc::SecretBytes::from("abc123x")).score == 1);
  REQUIRE(wc::assess_strength(wc::SecretBytes::from("blue42house")).score == 2);
  REQUIRE(wc::assess_strength(wc::SecretBytes::from("hK9p2")).score == 3);
  REQUIRE(wc::assess_strength(wc::SecretBytes::from("Hk9p2x")).score == 4);
}
