// The XML an S3 server answers with (src/store/s3/s3_xml.cpp): listings, errors, upload ids.
// Whoever runs the endpoint controls these bytes.
#include <cstdint>
#include <string>
#include <string_view>

#include "ward/store/s3_xml.hpp"

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
  // escape() output read back as element content is the original text.
  const std::string doc = "<Key>" + xml::escape(text) + "</Key>";
  const auto back = xml::first_text(doc, "Key");
  if (!back || *back != text) __builtin_trap();
  return 0;
}
