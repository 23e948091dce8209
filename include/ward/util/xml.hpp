#pragma once

#include <string>
#include <string_view>

// Escaping for the XML that ward writes (JUnit reports, S3 request bodies): one implementation,
// so every writer handles markup characters and the control characters XML 1.0 forbids alike.
namespace ward::util {

// For attribute values and element text: escapes & < > " ' and writes tab, newline and
// carriage return as character references (so attribute values keep them); drops the other
// control characters below 0x20, which XML 1.0 cannot carry at all.
std::string xml_escape(std::string_view text);

// For element text meant to be read by people: as xml_escape, but newlines stay literal.
std::string xml_escape_text(std::string_view text);

}  // namespace ward::util
