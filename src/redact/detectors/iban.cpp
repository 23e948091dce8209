// International bank account numbers: country code, check digits, BBAN, in electronic form
// (DE89370400440532013000) or in groups of four (DE89 3704 0044 0532 0130 00). The length must
// be the country's and the ISO 7064 mod-97 check must give 1. Near misses it rejects: wrong check
// digits, lengths no country uses, words that merely start with two capitals and two digits.
#include <map>

#include "detectors.hpp"

namespace ward::redact::detectors {
namespace {

std::size_t country_length(std::string_view country) {
  static const std::map<std::string, std::size_t, std::less<>> lengths = {
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
      {"BG", 22}, {"BH", 22}, {"BR", 29}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
      {"DE", 22}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
      {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
      {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IS", 26}, {"IT", 27},
      {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LI", 21}, {"LT", 20}, {"LU", 20},
      {"LV", 21}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31},
      {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25},
      {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SE", 24}, {"SI", 19}, {"SK", 24},
      {"SM", 27}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VG", 24}, {"XK", 20},
  };
  const auto found = lengths.find(country);
  return found == lengths.end() ? 0 : found->second;
}

bool mod97_is_one(std::string_view iban) {
  // Move the first four characters to the end, letters become 10..35, then mod 97 piecewise.
  const std::string rearranged = std::string(iban.substr(4)) + std::string(iban.substr(0, 4));
  int remainder = 0;
  for (const char c : rearranged) {
    if (is_digit(c)) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    }
  }
  return remainder == 1;
}

bool valid_iban(std::string_view text, std::size_t& begin, std::size_t& end) {
  const auto length = country_length(text.substr(begin, 2));
  if (length == 0) return false;
  // Take exactly the country's length of characters, so a word after a grouped IBAN is not
  // swallowed; spaces only between groups of four.
  std::string compact;
  std::size_t i = begin;
  while (i < end && compact.size() < length) {
    const char c = text[i];
    if (c == ' ') {
      if (compact.size() % 4 != 0) return false;
    } else {
      compact += c;
    }
    ++i;
  }
  if (compact.size() != length) return false;
  end = i;
  if (!at_word_boundaries(text, begin, end)) return false;
  return mod97_is_one(compact);
}

}  // namespace

std::shared_ptr<const Detector> iban() {
  return make_detector("iban", "international bank account numbers (mod-97 checked)",
                       {{R"(\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b)"}}, valid_iban);
}

}  // namespace ward::redact::detectors
