#include "ward/crypto/password.hpp"

#include <zxcvbn.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "ward/crypto/random.hpp"
#include "ward/error.hpp"

namespace ward::crypto {

namespace {

constexpr std::string_view k_upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view k_lower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view k_digits = "0123456789";
// No quotes, backslash, backtick or space: generated secrets get pasted into shells, YAML and
// .env files, where those characters need escaping.
constexpr std::string_view k_symbols = "!#$%&()*+,-./:;<=>?@[]^_{|}~";
constexpr std::string_view k_hex = "0123456789abcdef";

constexpr std::size_t k_max_length = 4096;

constexpr std::string_view k_spec_hint =
    "use a preset (default, alnum, hex, pin), a length like 24, or "
    "length=32,classes=ulds,exclude=0OIl1";

// Exact, case-insensitive matches; zxcvbn catches most of these too, but its estimate alone
// does not tell the user why.
constexpr std::array<std::string_view, 40> k_common_passwords = {
    "password",   "password1",  "password123", "passw0rd", "p@ssw0rd", "123456",   "12345678",
    "123456789",  "1234567890", "111111",      "000000",   "123123",   "qwerty",   "qwerty123",
    "qwertyuiop", "asdfgh",     "letmein",     "admin",    "admin123", "welcome",  "welcome1",
    "changeme",   "iloveyou",   "abc123",      "monkey",   "dragon",   "football", "baseball",
    "sunshine",   "princess",   "trustno1",    "secret",   "master",   "hello",    "login",
    "root",       "toor",       "default",     "guest",    "test"};

[[noreturn]] void bad_spec(const std::string& message) {
  fail(ErrorCode::usage, message, std::string(k_spec_hint));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string without(std::string_view chars, std::string_view exclude) {
  std::string out;
  for (char c : chars) {
    if (exclude.find(c) == std::string_view::npos) out.push_back(c);
  }
  return out;
}

// The character classes a policy draws from, each already stripped of excluded characters.
std::vector<std::string> class_alphabets(const GenerationPolicy& p) {
  std::vector<std::string> classes;
  if (!p.custom_alphabet.empty()) {
    classes.push_back(without(p.custom_alphabet, p.exclude));
    return classes;
  }
  if (p.upper) classes.push_back(without(k_upper, p.exclude));
  if (p.lower) classes.push_back(without(k_lower, p.exclude));
  if (p.digits) classes.push_back(without(k_digits, p.exclude));
  if (p.symbols) classes.push_back(without(k_symbols, p.exclude));
  return classes;
}

void validate(const GenerationPolicy& p) {
  if (p.length == 0 || p.length > k_max_length) {
    bad_spec("secret length must be between 1 and " + std::to_string(k_max_length));
  }
  const auto classes = class_alphabets(p);
  if (classes.empty()) {
    bad_spec("no character classes selected");
  }
  for (const auto& c : classes) {
    if (c.empty()) {
      bad_spec("the exclusions remove every character of a selected class");
    }
  }
  if (p.require_each_class && p.length < classes.size()) {
    bad_spec("length " + std::to_string(p.length) + " is too short to include each of the " +
             std::to_string(classes.size()) + " selected classes");
  }
}

std::optional<std::size_t> parse_size(std::string_view s) {
  std::size_t value = 0;
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (s.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<GenerationPolicy> preset(std::string_view name) {
  GenerationPolicy p;
  if (name == "default") {
    return p;
  }
  if (name == "alnum") {
    p.symbols = false;
    return p;
  }
  if (name == "hex") {
    p.length = 64;
    p.custom_alphabet = std::string(k_hex);
    return p;
  }
  if (name == "pin") {
    p.length = 8;
    p.upper = p.lower = p.symbols = false;
    return p;
  }
  return std::nullopt;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    const auto lx = (x >= 'A' && x <= 'Z') ? x + 32 : x;
    const auto ly = (y >= 'A' && y <= 'Z') ? y + 32 : y;
    if (lx != ly) return false;
  }
  return true;
}

std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

// zxcvbn's score buckets are guess counts (1e3, 1e6, 1e8, 1e10); its C port returns log2.
int score_for_bits(double bits) {
  constexpr std::array<double, 4> k_guess_thresholds = {1e3, 1e6, 1e8, 1e10};
  int score = 0;
  for (double guesses : k_guess_thresholds) {
    if (bits >= std::log2(guesses)) ++score;
  }
  return score;
}

std::string format_bits(double bits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", std::floor(bits * 10.0) / 10.0);
  return buf;
}

}  // namespace

GenerationPolicy GenerationPolicy::parse(std::string_view spec) {
  spec = trim(spec);
  if (spec.empty()) {
    bad_spec("empty secret policy");
  }
  GenerationPolicy p;
  bool first = true;
  while (true) {
    const auto comma = spec.find(',');
    const std::string_view token = trim(spec.substr(0, comma));
    const auto eq = token.find('=');
    if (token.empty()) {
      bad_spec("empty item in secret policy '" + std::string(spec) + "'");
    }
    if (eq == std::string_view::npos) {
      if (auto len = parse_size(token)) {
        p.length = *len;
      } else if (auto base = preset(token)) {
        if (!first) {
          bad_spec("preset '" + std::string(token) + "' must come first in a secret policy");
        }
        p = *base;
      } else {
        bad_spec("unknown secret preset '" + std::string(token) + "'");
      }
    } else {
      const std::string_view key = trim(token.substr(0, eq));
      const std::string_view value = trim(token.substr(eq + 1));
      if (key == "length") {
        auto len = parse_size(value);
        if (!len) {
          bad_spec("length must be a positive integer, got '" + std::string(value) + "'");
        }
        p.length = *len;
      } else if (key == "classes") {
        if (value.empty()) {
          bad_spec("classes must name at least one of u, l, d, s");
        }
        p.custom_alphabet.clear();
        p.upper = p.lower = p.digits = p.symbols = false;
        for (char c : value) {
          switch (c) {
            case 'u':
              p.upper = true;
              break;
            case 'l':
              p.lower = true;
              break;
            case 'd':
              p.digits = true;
              break;
            case 's':
              p.symbols = true;
              break;
            default:
              bad_spec(std::string("unknown character class '") + c +
                       "': use u (upper), l (lower), d (digits), s (symbols)");
          }
        }
      } else if (key == "exclude") {
        p.exclude = std::string(value);
      } else {
        bad_spec("unknown secret policy key '" + std::string(key) + "'");
      }
    }
    first = false;
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  validate(p);
  return p;
}

std::string GenerationPolicy::alphabet() const {
  std::string out;
  for (const auto& c : class_alphabets(*this)) out += c;
  return out;
}

std::string GenerationPolicy::describe() const {
  std::string out;
  if (custom_alphabet == k_hex) {
    out = "hex,length=" + std::to_string(length);
  } else {
    out = "length=" + std::to_string(length) + ",classes=";
    if (upper) out += 'u';
    if (lower) out += 'l';
    if (digits) out += 'd';
    if (symbols) out += 's';
  }
  if (!exclude.empty()) out += ",exclude=" + exclude;
  return out;
}

double GenerationPolicy::entropy_bits() const {
  const std::size_t n = alphabet().size();
  if (n == 0) return 0.0;
  return static_cast<double>(length) * std::log2(static_cast<double>(n));
}

std::vector<std::string> generation_presets() { return {"default", "alnum", "hex", "pin"}; }

SecretBytes generate_secret(const GenerationPolicy& policy) {
  validate(policy);
  const auto classes = class_alphabets(policy);
  const std::string all = policy.alphabet();
  SecretBytes out(policy.length);
  std::uint8_t* s = out.data();
  std::size_t i = 0;
  if (policy.require_each_class) {
    for (const auto& c : classes) {
      s[i++] = static_cast<std::uint8_t>(c[random_below(static_cast<std::uint32_t>(c.size()))]);
    }
  }
  for (; i < policy.length; ++i) {
    s[i] = static_cast<std::uint8_t>(all[random_below(static_cast<std::uint32_t>(all.size()))]);
  }
  // Fisher-Yates, so the guaranteed characters are not always at the front.
  for (std::size_t k = policy.length; k > 1; --k) {
    const std::size_t j = random_below(static_cast<std::uint32_t>(k));
    std::swap(s[k - 1], s[j]);
  }
  return out;
}

StrengthReport assess_strength(const SecretBytes& secret, const StrengthPolicy& policy) {
  StrengthReport report;
  // zxcvbn wants a C string; the copy lives in secret memory like the original.
  SecretBytes c_string(secret.size() + 1);
  if (!secret.empty()) std::memcpy(c_string.data(), secret.data(), secret.size());
  c_string.data()[secret.size()] = 0;

  ZxcMatch_t* info = nullptr;
  report.entropy_bits = ZxcvbnMatch(reinterpret_cast<const char*>(c_string.data()), nullptr, &info);
  if (info != nullptr) ZxcvbnFreeInfo(info);
  if (!(report.entropy_bits >= 0.0)) report.entropy_bits = 0.0;  // also maps NaN to 0
  report.score = score_for_bits(report.entropy_bits);
  report.length = utf8_length(secret.reveal());

  if (secret.empty()) {
    report.problems.emplace_back("is empty");
  } else if (report.length < policy.min_length) {
    report.problems.push_back("shorter than " + std::to_string(policy.min_length) + " characters");
  }
  if (report.entropy_bits < policy.min_entropy_bits) {
    report.problems.push_back("estimated strength " + format_bits(report.entropy_bits) +
                              " bits is below the policy's " +
                              format_bits(policy.min_entropy_bits) + " bits");
  }
  const std::string_view text = secret.reveal();
  for (std::string_view common : k_common_passwords) {
    if (iequals(text, common)) {
      report.problems.emplace_back("is a commonly used password");
      break;
    }
  }
  report.acceptable = report.problems.empty();
  return report;
}

}  // namespace ward::crypto
