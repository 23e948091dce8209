#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ward/crypto/secret.hpp"

namespace ward::crypto {

// How a secret is generated: `length=32,classes=ulds,exclude=0OIl1` or a preset name
// (`default`, `alnum`, `hex`, `pin`; see generation_presets()).
struct GenerationPolicy {
  std::size_t length = 32;
  bool upper = true;
  bool lower = true;
  bool digits = true;
  bool symbols = true;
  std::string exclude;  // characters never used
  // When set, replaces the four classes with one fixed alphabet (the `hex` preset).
  std::string custom_alphabet;
  // Every enabled class appears at least once (sampled without bias, then shuffled).
  bool require_each_class = true;

  static GenerationPolicy parse(std::string_view spec);  // throws Error(usage)
  [[nodiscard]] std::string alphabet() const;
  [[nodiscard]] std::string describe() const;
  [[nodiscard]] double entropy_bits() const;
};

// The preset names GenerationPolicy::parse accepts, for help text and completion.
std::vector<std::string> generation_presets();

SecretBytes generate_secret(const GenerationPolicy& policy);  // throws Error(usage)

// The strength policy applied to user-supplied secrets and `ward passwd check`.
struct StrengthPolicy {
  std::size_t min_length = 12;
  double min_entropy_bits = 60.0;  // zxcvbn's estimate, in bits (not a 0–4 score)
};

struct StrengthReport {
  double entropy_bits = 0;
  int score = 0;  // 0..4, derived from the entropy estimate the way zxcvbn buckets guesses
  std::size_t length = 0;
  bool acceptable = false;
  std::vector<std::string> problems;  // human reasons; never contain the secret
};

StrengthReport assess_strength(const SecretBytes& secret, const StrengthPolicy& policy = {});

}  // namespace ward::crypto
