#include <catch2/catch.hpp>
#include <string>

#include "ward/util/xml.hpp"

using ward::util::xml_escape;
using ward::util::xml_escape_text;

TEST_CASE("xml_escape: markup characters become entities") {
  CHECK(xml_escape("<\"&'>") == "&lt;&quot;&amp;&apos;&gt;");
  CHECK(xml_escape("plain etag 0123") == "plain etag 0123");
  CHECK(xml_escape("") == "");
}

TEST_CASE("xml_escape: whitespace as references, other control characters dropped") {
  CHECK(xml_escape("a\nb\rc\td") == "a&#10;b&#13;c&#9;d");
  CHECK(xml_escape(std::string("x\x01y\x1fz\0w", 8)) == "xyzw");
  // Bytes of UTF-8 sequences are >= 0x80 and pass through unchanged.
  CHECK(xml_escape("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("xml_escape_text keeps newlines literal") {
  CHECK(xml_escape_text("line <1>\nline 2\r") == "line &lt;1&gt;\nline 2&#13;");
}
