// Telephone numbers: E.164 and international notation (+49 30 1234567, +1 (555) 123-4567),
// the North American format ((555) 123-4567, 555-123-4567) and trunk-prefixed national numbers
// (030 1234567, 020 7946 0958, 01 23 45 67 89). Near misses it rejects: dates and times
// (2026-11-23, 23.11.2026, 11/23/2026), decimals and version strings, digit runs glued to
// other digits or letters, numbers with too few or too many digits for E.164.
#include <vector>

#include "detectors.hpp"

namespace ward::redact::detectors {
namespace {

// Digit groups and the separators between them.
struct Groups {
  std::vector<std::size_t> sizes;
  std::string separators;
};

Groups groups_of(std::string_view item) {
  Groups out;
  std::size_t run = 0;
  for (const char c : item) {
    if (is_digit(c)) {
      ++run;
    } else if (run > 0) {
      out.sizes.push_back(run);
      out.separators += c;
      run = 0;
    }
  }
  if (run > 0) out.sizes.push_back(run);
  return out;
}

bool looks_like_date(std::string_view item) {
  const auto g = groups_of(item);
  if (g.sizes.size() < 3) return false;
  const auto same_sep =
      g.separators.size() >= 2 && g.separators[0] == g.separators[1] &&
      (g.separators[0] == '-' || g.separators[0] == '/' || g.separators[0] == '.');
  if (!same_sep) return false;
  return (g.sizes[0] == 4 && g.sizes[1] <= 2 && g.sizes[2] <= 2) ||
         (g.sizes[0] <= 2 && g.sizes[1] <= 2 && g.sizes[2] == 4);
}

bool valid_phone(std::string_view text, std::size_t& begin, std::size_t& end) {
  const auto item = text.substr(begin, end - begin);
  const auto digits = digits_of(item);
  const bool international = item.front() == '+';
  if (digits.size() < (international ? 8U : 10U) || digits.size() > 15) return false;
  if (looks_like_date(item) || item.find(':') != std::string_view::npos) return false;
  // One separator between digit groups (") " and " (" count as one), balanced parentheses.
  int depth = 0;
  for (std::size_t i = 0; i < item.size(); ++i) {
    const char c = item[i];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth < 0 || depth > 1) return false;
    if (is_digit(c) || i == 0 || is_digit(item[i - 1])) continue;
    const auto pair = item.substr(i - 1, 2);
    if (pair != ") " && pair != " (" && pair != "+(") return false;
  }
  if (depth != 0) return false;
  // Glued to other digits, letters, or part of a decimal or dotted version/address.
  if (begin > 0) {
    const char before = text[begin - 1];
    if (is_word_byte(before) || before == '.' || before == '+' || before == '-' || before == '/')
      return false;
  }
  if (end < text.size()) {
    const char after = text[end];
    if (is_word_byte(after) || after == '-' || after == '/') return false;
    if (after == '.' && end + 1 < text.size() && is_digit(text[end + 1])) return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<const Detector> phone() {
  return make_detector(
      "phone", "telephone numbers (E.164, North American and trunk-prefixed national formats)",
      {
          {R"(\+[1-9][0-9 .()\-]{6,22}[0-9])"},
          {R"((?:\([2-9][0-9]{2}\) ?|\b[2-9][0-9]{2}[ .\-])[2-9][0-9]{2}[ .\-][0-9]{4}\b)"},
          {R"(\b0[1-9][0-9]{0,4}(?:[ \-/]?[0-9]{2,8}){1,4}\b)"},
      },
      valid_phone);
}

}  // namespace ward::redact::detectors
