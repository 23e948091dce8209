// User-defined detectors: a job's own regexes (order numbers, internal customer ids). They are
// compiled into the same Hyperscan database as the built-ins; no validation beyond the match.
#include "detectors.hpp"
#include "ward/error.hpp"

namespace ward::redact {

std::shared_ptr<const Detector> make_regex_detector(std::string name, std::string regex) {
  if (name.empty()) fail(ErrorCode::usage, "a user detector needs a name");
  if (regex.empty()) fail(ErrorCode::usage, "user detector '" + name + "' has an empty regex");
  for (const auto& builtin : builtin_detectors()) {
    if (builtin->name() == name) {
      fail(ErrorCode::usage, "user detector '" + name + "' has the name of a built-in one",
           "pick another name");
    }
  }
  for (const char c : name) {
    if (!is_word_byte(c) && c != '-') {
      fail(ErrorCode::usage,
           "user detector name '" + name + "' may only use letters, digits, _ and -");
    }
  }
  auto description = "user regex " + regex;
  return detectors::make_detector(
      std::move(name), std::move(description), {{std::move(regex)}},
      [](std::string_view /*text*/, std::size_t& /*begin*/, std::size_t& /*end*/) { return true; });
}

}  // namespace ward::redact
