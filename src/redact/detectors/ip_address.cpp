// IP addresses. IPv4 in dotted quads (each octet 0–255, no leading zeros); IPv6 in any textual
// form inet_pton accepts (full, compressed, IPv4-mapped). Near misses they reject: version
// strings with more than four parts (1.2.3.4.5), four-part versions named as such ("version
// 1.2.3.4", "app_version": "1.2.3.4", "ver=1.2.3.4"), octets above 255, clock times (14:43:00),
// C++ scopes (std::string), MAC-like runs glued to more hex.
#include <arpa/inet.h>

#include "detectors.hpp"

namespace ward::redact::detectors {
namespace {

// Whether the word before text[at] (across a few quotes, colons, equals signs and spaces, as in
// "version 1.2.3.4", "version": "1.2.3.4" or ver=1.2.3.4) names a version.
bool after_version_word(std::string_view text, std::size_t at) {
  const auto separator = [](char c) {
    return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == ':' || c == '=';
  };
  std::size_t i = at;
  while (i > 0 && at - i < 5 && separator(text[i - 1])) --i;
  if (i == at) return false;  // glued to the word: no version named
  const auto word_end = i;
  while (i > 0 && (is_word_byte(text[i - 1]) || text[i - 1] == '-' || text[i - 1] == '.')) --i;
  std::string word(text.substr(i, word_end - i));
  const bool camel = word.size() > 7 && word.ends_with("Version");  // appVersion
  for (auto& c : word) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (camel || word == "version" || word == "ver" || word == "v" || word == "rev") return true;
  // app_version, app-version, build.version; not "conversion".
  return word.size() > 7 && word.ends_with("version") &&
         (word[word.size() - 8] == '_' || word[word.size() - 8] == '-' ||
          word[word.size() - 8] == '.');
}

bool valid_ipv4(std::string_view text, std::size_t& begin, std::size_t& end) {
  const auto item = text.substr(begin, end - begin);
  std::size_t start = 0;
  for (int part = 0; part < 4; ++part) {
    auto dot = item.find('.', start);
    if (dot == std::string_view::npos) dot = item.size();
    const auto octet = item.substr(start, dot - start);
    if (octet.empty() || octet.size() > 3 || (octet.size() > 1 && octet[0] == '0')) return false;
    int value = 0;
    for (const char c : octet) value = value * 10 + (c - '0');
    if (value > 255) return false;
    start = dot + 1;
  }
  if (!at_word_boundaries(text, begin, end)) return false;
  if (begin > 0 && text[begin - 1] == '.') return false;
  if (end + 1 < text.size() && text[end] == '.' && is_digit(text[end + 1])) return false;
  return !after_version_word(text, begin);
}

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool valid_ipv6(std::string_view text, std::size_t& begin, std::size_t& end) {
  if (begin > 0 && (is_word_byte(text[begin - 1]) || text[begin - 1] == ':')) return false;
  if (end < text.size() && (is_word_byte(text[end]) || text[end] == ':')) return false;
  // An IPv4-mapped tail is found whole by its own pattern; a shorter match must not stop at one
  // of its dots and leave the rest of the address behind.
  if (end + 1 < text.size() && text[end] == '.' && is_digit(text[end + 1])) return false;
  const std::string item(text.substr(begin, end - begin));
  // At least two groups with digits in them: "::" alone or "a::" is more often prose or code.
  int groups = 0;
  bool in_group = false;
  for (const char c : item) {
    if (is_hex(c) && !in_group) ++groups;
    in_group = is_hex(c);
  }
  if (groups < 2) return false;
  in6_addr address{};
  return inet_pton(AF_INET6, item.c_str(), &address) == 1;
}

}  // namespace

std::shared_ptr<const Detector> ipv4() {
  return make_detector("ipv4", "IPv4 addresses",
                       {{R"(\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b)"}}, valid_ipv4);
}

std::shared_ptr<const Detector> ipv6() {
  return make_detector(
      "ipv6", "IPv6 addresses",
      // An address has all eight groups or a "::"; requiring one of the two up front keeps
      // clock times and "key:value" text (a few hex digits and a colon, on every log line) from
      // becoming candidates at all, which is most of this detector's scanning cost.
      {{R"((?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4})"},
       {R"((?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?)"},
       {R"(::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?)"},
       {R"((?:[0-9A-Fa-f]{1,4}:){1,5}:(?:[0-9A-Fa-f]{1,4}:){0,4}[0-9]{1,3}(?:\.[0-9]{1,3}){3})"},
       {R"(::(?:[Ff]{4}:)?[0-9]{1,3}(?:\.[0-9]{1,3}){3})"}},
      valid_ipv6);
}

}  // namespace ward::redact::detectors
