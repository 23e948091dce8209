// `ward redact run`'s format readers (src/redact/format_*.cpp: text, CSV, JSONL, JSON) over
// untrusted files, driven the way process_file drives them: prepare on the first read, chunks cut
// at boundary(), edits per chunk, apply_edits. The first byte picks the format, the action (mask,
// hash or encrypt under fixed test keys), whether column/field rules are used, and the read size.
//
// Invariants checked (each a __builtin_trap when broken):
// - only Error(usage) escapes a reader (malformed JSON, a CSV rule on a missing column);
// - boundary() is within the buffer, and at the end of the input takes all of it (the Chunker
//   throws Error(internal) otherwise: anything less would leave bytes unread or unwritten);
// - the edits of a chunk are sorted, do not overlap and lie inside the chunk, so every byte
//   outside them is copied unchanged; with no edits the output is the input;
// - the output does not depend on how the input was read (short reads from a pipe, or whole
//   blocks), and hash and encrypt are deterministic;
// - mask: whole-value rules recognise their own output, so a second run over the masked output
//   changes nothing (the claim run_job makes for "running the job again"). For scans without
//   rules this is not a design property (a masked span can give a neighbouring candidate a new
//   word boundary) and is not checked.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ward/crypto/secret.hpp"
#include "ward/error.hpp"
#include "ward/redact/action.hpp"
#include "ward/redact/chunker.hpp"
#include "ward/redact/detector.hpp"
#include "ward/redact/format.hpp"
#include "ward/redact/scanner.hpp"

namespace {

namespace wr = ward::redact;
using ward::crypto::SecretBytes;

struct Fixture {
  SecretBytes pseudonym_key = SecretBytes::from("fuzz pseudonym key 0123456789abcdef");
  SecretBytes token_key = SecretBytes::from("fuzz token key 0123456789abcdef!!");
  std::shared_ptr<const wr::Scanner> scanner =
      std::make_shared<const wr::Scanner>(wr::select_detectors({}));
  std::shared_ptr<const wr::Redactor> redactors[3] = {
      std::make_shared<const wr::Redactor>(wr::ActionSpec{wr::ActionKind::mask, 4, {}},
                                           wr::ActionKeys{}),
      std::make_shared<const wr::Redactor>(wr::ActionSpec{wr::ActionKind::hash, 4, {}},
                                           wr::ActionKeys{&pseudonym_key, nullptr}),
      std::make_shared<const wr::Redactor>(wr::ActionSpec{wr::ActionKind::encrypt, 4, {}},
                                           wr::ActionKeys{nullptr, &token_key}),
  };
};

const Fixture& fixture() {
  static const Fixture built;
  return built;
}

void check_edits(std::string_view chunk, const std::vector<wr::Edit>& edits) {
  std::size_t at = 0;
  for (const auto& edit : edits) {
    if (edit.begin < at || edit.end < edit.begin || edit.end > chunk.size()) __builtin_trap();
    at = edit.end;
  }
}

// process_file's reading (src/redact/file_redact.cpp) without threads or files: chunks from the
// Chunker it uses, `block` bytes per read.
std::string redact_blocks(const wr::FileRedaction& redaction, std::string_view input,
                          std::size_t block) {
  const auto format = wr::make_format(redaction);
  std::size_t read = 0;
  wr::Chunker chunker(*format, block, [&](char* into, std::size_t max) {
    const auto n = std::min(max, input.size() - read);
    input.copy(into, n, read);
    read += n;
    return n;
  });
  std::string output;
  wr::ChunkBuffer buffer;
  bool first = true;
  while (chunker.next(buffer)) {
    const auto chunk = buffer.view();
    if (chunk.empty()) __builtin_trap();
    std::vector<wr::Edit> edits;
    wr::Stats stats;
    format->edits(chunk, first, edits, stats);
    first = false;
    check_edits(chunk, edits);
    std::string out;
    wr::apply_edits(chunk, edits, out);
    if (edits.empty() && out != chunk) __builtin_trap();
    output += out;
  }
  if (read != input.size()) __builtin_trap();
  return output;
}

// The output, or nullopt when the reader rejected the input with Error(usage).
std::optional<std::string> redact(const wr::FileRedaction& redaction, std::string_view input,
                                  std::size_t block) {
  try {
    return redact_blocks(redaction, input, block);
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::usage) __builtin_trap();
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto& f = fixture();
  const auto format = static_cast<wr::InputFormat>(data[0] & 3U);
  const auto action = (data[0] >> 2U) % 3U;
  const bool rules = (data[0] & 0x40U) != 0;
  const std::size_t block = 1 + data[1] % 64;
  const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

  wr::FileRedaction redaction;
  redaction.format = format;
  redaction.scanner = f.scanner;
  redaction.redactor = f.redactors[action];
  if (rules && format != wr::InputFormat::text) {
    // A whole-value rule and a findings-only rule: column names for CSV, field paths for JSON.
    const bool csv = format == wr::InputFormat::csv;
    redaction.rules.push_back({csv ? "a" : "$.a", nullptr, f.redactors[action]});
    redaction.rules.push_back({csv ? "b" : "$.b[*].c", f.scanner, f.redactors[action]});
  }
  const auto once = redact(redaction, input, block);
  // The same output (or the same rejection) whatever the reads return: a pipe gives short reads,
  // a file whole blocks. Keyed actions are deterministic, so this holds for them too.
  if (redact(redaction, input, 4096) != once) __builtin_trap();
  if (action == 0 && !redaction.rules.empty()) {
    // Only the whole-value rule: its output is recognised and left alone by a second run.
    redaction.rules.resize(1);
    const auto masked = redact(redaction, input, block);
    if (masked && redact(redaction, *masked, block) != masked) __builtin_trap();
  }
  return 0;
}
