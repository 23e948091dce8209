// The XML an S3 server answers with (src/store/s3/s3_xml.cpp): listings, errors, upload ids.
// Whoever runs the endpoint controls these bytes.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "ward/store/s3_xml.hpp"
#include "ward/util/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace xml = ward::store::s3xml;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto* tag : {"Key", "Contents", "NextContinuationToken", "IsTruncated", "Code",
                          "Message", "UploadId", "ETag"}) {
    const auto all = xml::all_text(text, tag);
    const auto first = xml::first_text(text, tag);
    if (all.empty() != !first.has_value()) __builtin_trap();
    if (first && *first != all.front()) __builtin_trap();
  }
  // xml_escape() output read back as element content is the original text.
  // (xml_escape drops the control characters XML 1.0 cannot carry: those texts are skipped.)
  if (std::any_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r';
      }))
    return 0;
  const std::string doc = "<Key>" + ward::util::xml_escape(text) + "</Key>";
  const auto back = xml::first_text(doc, "Key");
  if (!back || *back != text) __builtin_trap();
  return 0;
}
