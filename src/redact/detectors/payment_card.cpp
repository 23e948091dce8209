// Payment card numbers (PANs): 13–19 digits, contiguous or in the usual groups, that pass
// the Luhn check and start with an issuer prefix of a real scheme. Near misses it rejects:
// Luhn-invalid numbers, millisecond timestamps and other digit runs with no issuer prefix,
// groups with mixed separators, digits glued to more digits.
#include "detectors.hpp"

namespace ward::redact::detectors {
namespace {

bool luhn(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

int prefix(std::string_view digits, std::size_t n) {
  int value = 0;
  for (std::size_t i = 0; i < n && i < digits.size(); ++i) value = value * 10 + (digits[i] - '0');
  return value;
}

bool known_issuer(std::string_view d) {
  const auto p1 = prefix(d, 1);
  const auto p2 = prefix(d, 2);
  const auto p3 = prefix(d, 3);
  const auto p4 = prefix(d, 4);
  const auto p6 = prefix(d, 6);
  const auto n = d.size();
  if (p1 == 4) return n == 13 || n == 16 || n == 19;                         // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;  // Mastercard
  if (p2 == 34 || p2 == 37) return n == 15;                                  // Amex
  if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925))
    return n >= 16 && n <= 19;              // Discover
  if (p2 == 35) return n >= 16 && n <= 19;  // JCB
  if (p2 == 36 || p2 == 38 || p2 == 39 || (p3 >= 300 && p3 <= 305)) return n >= 14 && n <= 19;
  if (p2 == 62) return n >= 16 && n <= 19;                            // UnionPay
  if (p2 == 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19;  // Maestro
  return false;
}

bool valid_card(std::string_view text, std::size_t& begin, std::size_t& end) {
  const auto item = text.substr(begin, end - begin);
  const auto digits = digits_of(item);
  if (digits.size() < 13 || digits.size() > 19) return false;
  char separator = 0;
  for (const char c : item) {
    if (is_digit(c)) continue;
    if (separator == 0) separator = c;
    if (c != separator) return false;
  }
  if (!at_word_boundaries(text, begin, end)) return false;
  if (begin > 0 && (text[begin - 1] == '-' || text[begin - 1] == '.' || text[begin - 1] == '+'))
    return false;  // part of a phone number, a range or a decimal
  if (end < text.size() &&
      (text[end] == '-' || (text[end] == '.' && end + 1 < text.size() && is_digit(text[end + 1]))))
    return false;
  return known_issuer(digits) && luhn(digits);
}

}  // namespace

std::shared_ptr<const Detector> payment_card() {
  return make_detector("card", "payment card numbers (Luhn and issuer prefix checked)",
                       {
                           {R"(\b[0-9]{13,19}\b)"},
                           {R"(\b[0-9]{4}(?:[ \-][0-9]{4}){3}(?:[ \-][0-9]{3})?\b)"},
                           {R"(\b[0-9]{4}[ \-][0-9]{6}[ \-][0-9]{4,5}\b)"},
                       },
                       valid_card);
}

}  // namespace ward::redact::detectors
