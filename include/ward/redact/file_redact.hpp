#pragma once

#include <string>

#include "ward/redact/format.hpp"

namespace ward::redact {

// One file's redaction: `input` is a path or "-" (stdin); `output` a path, "-" (stdout), or
// empty with `in_place`. Outputs are written atomically: a temp file beside the target, fsync,
// rename over it (keeping the original's mode), fsync of the directory — a crash leaves the old
// file or the new one, never a torn one. An in-place file with nothing to redact is not
// rewritten.
struct FileIo {
  std::string input;
  std::string output;
  bool in_place = false;
  bool dry_run = false;  // count what would change; write nothing
};

struct FileResult {
  Stats stats;
  bool changed = false;  // an output differs from its input (or would, with dry_run)
};

// Scans (redaction.redactor null) or redacts one input. Chunks of whole records are processed
// on every core; the output is written in order in large blocks.
FileResult process_file(const FileRedaction& redaction, const FileIo& io);

}  // namespace ward::redact
