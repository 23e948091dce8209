// National identifiers. US Social Security numbers in their written form (078-05-1120 style,
// dashes or spaces): area 001–899 except 666, group 01–99, serial 0001–9999. Near misses it
// rejects: out-of-range areas (000, 666, 9xx: ITINs and test values), zero groups and serials,
// and digit groups that are part of a longer number (phone numbers, dates, part numbers).
#include "detectors.hpp"

namespace ward::redact::detectors {
namespace {

bool valid_ssn(std::string_view text, std::size_t& begin, std::size_t& end) {
  const auto digits = digits_of(text.substr(begin, end - begin));
  if (digits.size() != 9) return false;
  const int area = std::stoi(digits.substr(0, 3));
  const int group = std::stoi(digits.substr(3, 2));
  const int serial = std::stoi(digits.substr(5, 4));
  if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return false;
  if (!at_word_boundaries(text, begin, end)) return false;
  const auto glued = [](char c) { return c == '-' || c == '.' || c == '/' || c == '+'; };
  if (begin > 0 && glued(text[begin - 1])) return false;
  if (end < text.size() && glued(text[end])) return false;
  return true;
}

}  // namespace

std::shared_ptr<const Detector> us_ssn() {
  return make_detector(
      "ssn", "US Social Security numbers (valid area, group and serial)",
      {{R"(\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b)"}, {R"(\b[0-9]{3} [0-9]{2} [0-9]{4}\b)"}}, valid_ssn);
}

}  // namespace ward::redact::detectors
