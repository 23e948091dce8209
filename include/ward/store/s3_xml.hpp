#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The little XML that S3 answers with (ListObjectsV2 results, errors, multipart upload ids):
// flat elements with text content, read by tag name. Not a general XML parser.
namespace ward::store::s3xml {

// The text of every element named `tag`, entities decoded, in document order.
std::vector<std::string> all_text(std::string_view xml, std::string_view tag);

// The text of the first element named `tag`.
std::optional<std::string> first_text(std::string_view xml, std::string_view tag);

}  // namespace ward::store::s3xml
