// The one list of built-in detectors. Adding a detector: one file in this folder and one line
// here (its position is its priority when two findings overlap).
#include <algorithm>

#include "detectors.hpp"
#include "ward/error.hpp"

namespace ward::redact {

const DetectorList& builtin_detectors() {
  static const DetectorList list = {
      detectors::private_key(),  // before everything it may contain
      detectors::jwt(),         detectors::bearer_token(), detectors::cloud_key(),
      detectors::email(),       detectors::iban(),         detectors::payment_card(),
      detectors::us_ssn(),      detectors::ipv6(),         detectors::ipv4(),
      detectors::phone(),
  };
  return list;
}

DetectorList select_detectors(const std::vector<std::string>& names, const DetectorList& custom) {
  const auto& builtins = builtin_detectors();
  DetectorList out;
  const bool all = names.empty() || std::ranges::find(names, "all") != names.end();
  if (all) out = builtins;
  for (const auto& name : names) {
    if (name == "all") continue;
    const auto found = std::ranges::find_if(
        builtins, [&](const auto& detector) { return detector->name() == name; });
    if (found != builtins.end()) {
      if (!all && std::ranges::find(out, *found) == out.end()) out.push_back(*found);
      continue;
    }
    const auto user = std::ranges::find_if(
        custom, [&](const auto& detector) { return detector->name() == name; });
    if (user != custom.end()) continue;  // added below with the other custom ones
    std::string known;
    for (const auto& detector : builtins) {
      known += (known.empty() ? "" : ", ") + std::string(detector->name());
    }
    fail(ErrorCode::usage, "unknown detector '" + name + "'", "known detectors: " + known);
  }
  // Keep the priority order of the registration list, whatever order the user named them in.
  std::ranges::sort(out, [&](const auto& a, const auto& b) {
    return std::ranges::find(builtins, a) < std::ranges::find(builtins, b);
  });
  for (const auto& detector : custom) out.push_back(detector);
  return out;
}

bool is_word_byte(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool at_word_boundaries(std::string_view text, std::size_t begin, std::size_t end) {
  if (begin > 0 && is_word_byte(text[begin - 1])) return false;
  if (end < text.size() && is_word_byte(text[end])) return false;
  return true;
}

}  // namespace ward::redact
