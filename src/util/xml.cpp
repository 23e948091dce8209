#include "ward/util/xml.hpp"

namespace ward::util {
namespace {

void append_escaped(std::string& out, char c, bool keep_newlines) {
  switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    case '\n':
      out += keep_newlines ? "\n" : "&#10;";
      break;
    case '\r':
      out += "&#13;";
      break;
    case '\t':
      out += "&#9;";
      break;
    default:
      if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
}

std::string escape(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) append_escaped(out, c, keep_newlines);
  return out;
}

}  // namespace

std::string xml_escape(std::string_view text) { return escape(text, false); }

std::string xml_escape_text(std::string_view text) { return escape(text, true); }

}  // namespace ward::util
