#include "ward/store/s3_xml.hpp"

#include <cstdlib>

namespace ward::store::s3xml {
namespace {

void append_utf8(std::string& out, unsigned long code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

std::string decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    const auto end = text.find(';', i);
    if (end == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    const auto entity = text.substr(i + 1, end - i - 1);
    if (entity == "amp") {
      out.push_back('&');
    } else if (entity == "lt") {
      out.push_back('<');
    } else if (entity == "gt") {
      out.push_back('>');
    } else if (entity == "quot") {
      out.push_back('"');
    } else if (entity == "apos") {
      out.push_back('\'');
    } else if (entity.size() > 1 && entity[0] == '#') {
      const std::string digits(entity.substr(entity[1] == 'x' ? 2 : 1));
      append_utf8(out, std::strtoul(digits.c_str(), nullptr, entity[1] == 'x' ? 16 : 10));
    } else {
      out.append(text.substr(i, end - i + 1));
    }
    i = end;
  }
  return out;
}

}  // namespace

std::vector<std::string> all_text(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string empty = "<" + std::string(tag) + "/>";
  const std::string close = "</" + std::string(tag) + ">";
  std::vector<std::string> out;
  std::size_t at = 0;
  for (;;) {
    const auto start = xml.find(open, at);
    const auto self_closing = xml.find(empty, at);
    if (self_closing != std::string_view::npos &&
        (start == std::string_view::npos || self_closing < start)) {
      out.emplace_back();
      at = self_closing + empty.size();
      continue;
    }
    if (start == std::string_view::npos) break;
    const auto body = start + open.size();
    const auto end = xml.find(close, body);
    if (end == std::string_view::npos) break;
    out.push_back(decode(xml.substr(body, end - body)));
    at = end + close.size();
  }
  return out;
}

std::optional<std::string> first_text(std::string_view xml, std::string_view tag) {
  auto found = all_text(xml, tag);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

}  // namespace ward::store::s3xml
