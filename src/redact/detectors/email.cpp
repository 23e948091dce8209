// E-mail addresses. Near misses it rejects: "user@host" parts of URLs (credentials in
// https://user@host/ and retina images such as logo@2x.png in a path), local parts that start,
// end or repeat dots, domain labels that start or end with a hyphen.
#include "detectors.hpp"

namespace ward::redact::detectors {
namespace {

// Whitespace (a CR too: it ends a CSV record, and a URL before it is in another record, which a
// chunk that starts at the record cannot see) and the punctuation that opens or separates values.
bool ends_token(char c) {
  return std::string_view(" \t\n\r\v\f\"'<(,;=[").find(c) != std::string_view::npos;
}

bool inside_url(std::string_view text, std::size_t begin) {
  // Walk back over the token the address sits in; a scheme separator or a path slash means
  // the "@" belongs to a URL.
  std::size_t i = begin;
  while (i > 0) {
    const char c = text[i - 1];
    if (ends_token(c)) break;
    if (c == '/') return true;
    if (c == ':' && i >= 2 && text.substr(i - 1, 3) == "://") return true;
    --i;
  }
  return false;
}

bool valid_email(std::string_view text, std::size_t& begin, std::size_t& end) {
  while (begin < end && text[begin] == '.') ++begin;  // punctuation before the address
  const auto item = text.substr(begin, end - begin);
  const auto at = item.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  const auto local = item.substr(0, at);
  const auto domain = item.substr(at + 1);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return false;
  if (domain.size() > 253) return false;
  std::size_t label_start = 0;
  while (label_start <= domain.size()) {
    auto dot = domain.find('.', label_start);
    if (dot == std::string_view::npos) dot = domain.size();
    const auto label = domain.substr(label_start, dot - label_start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    label_start = dot + 1;
  }
  if (begin > 0 && (text[begin - 1] == '@' || is_word_byte(text[begin - 1]))) return false;
  if (end < text.size() && (is_word_byte(text[end]) || text[end] == '@')) return false;
  if (inside_url(text, begin)) return false;
  return true;
}

bool is_local_byte(char c) {
  return is_word_byte(c) || c == '.' || c == '%' || c == '+' || c == '-';
}

// Where the pattern's leftmost match ending at `end` starts: the domain holds no '@', so the
// match's '@' is the last one before `end`, and the local part ([A-Za-z0-9._%+-]+) may be the
// whole run of local-part bytes before it.
std::size_t email_start(std::string_view text, std::size_t end) {
  auto start = text.rfind('@', end - 1);
  while (start > 0 && is_local_byte(text[start - 1])) --start;
  return start;
}

}  // namespace

std::shared_ptr<const Detector> email() {
  return make_detector(
      "email", "e-mail addresses",
      {{R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}\b)", false, false,
        email_start}},
      valid_email);
}

}  // namespace ward::redact::detectors
