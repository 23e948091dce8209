#pragma once

// The format readers/writers, one file each.
#include <memory>

#include "ward/redact/format.hpp"

namespace ward::redact::formats {

std::unique_ptr<Format> make_text(const FileRedaction& redaction);
std::unique_ptr<Format> make_csv(const FileRedaction& redaction);
std::unique_ptr<Format> make_json(const FileRedaction& redaction);

// The longest prefix of `buffer` that ends after a newline (0 when there is none), so chunks
// hold whole lines.
std::size_t line_boundary(std::string_view buffer, bool eof);

}  // namespace ward::redact::formats
