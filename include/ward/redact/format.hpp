#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ward/redact/action.hpp"
#include "ward/redact/scanner.hpp"

namespace ward::redact {

enum class InputFormat { text, csv, jsonl, json };
std::string_view to_string(InputFormat format);
// "auto" picks by extension (.csv, .jsonl/.ndjson, .json; anything else is text).
InputFormat parse_input_format(std::string_view text, std::string_view path);

// What to do with the values of one column (CSV, tables) or field path (JSON, `$.user.email`,
// `$.items[*].email`): the whole value, or only the findings of `scanner` inside it.
struct ValueRule {
  std::string selector;
  std::shared_ptr<const Scanner> scanner;  // null: the rule applies to the whole value
  std::shared_ptr<const Redactor> redactor;
};

// How one file is redacted. With no rules, `scanner` runs over everything (text, every CSV
// cell, every JSON string value) and `redactor` replaces each finding.
struct FileRedaction {
  InputFormat format = InputFormat::text;
  std::shared_ptr<const Scanner> scanner;
  std::shared_ptr<const Redactor> redactor;
  std::vector<ValueRule> rules;
  std::size_t samples = 3;  // masked samples kept per detector
};

// Counts from one piece of input; merged across chunks and files. Never holds a value, only
// masked samples.
struct Stats {
  std::map<std::string, std::uint64_t> detectors;           // detector (or "whole-value") → items
  std::map<std::string, std::uint64_t> fields;              // column or field path → items
  std::map<std::string, std::vector<std::string>> samples;  // detector → masked samples
  std::uint64_t items = 0;
  std::uint64_t bytes = 0;
  void add(const std::string& detector, const std::string& field, std::string_view value,
           std::size_t max_samples);
  void merge(const Stats& other, std::size_t max_samples);
};

// The detector name counted for whole-value rules.
inline constexpr std::string_view k_whole_value = "value";

// One span of the input and what replaces it (each format spells drop its own way).
struct Edit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string replacement;
};

// A format's reader/writer: where a chunk may end, and the edits a chunk needs. Adding a
// format is one file and one case in make_format.
class Format {
 public:
  Format() = default;
  Format(const Format&) = delete;
  Format& operator=(const Format&) = delete;
  Format(Format&&) = delete;
  Format& operator=(Format&&) = delete;
  virtual ~Format() = default;
  // Reads what the format needs from the start of the input (a CSV header); throws
  // Error(usage) for a selector the input does not have.
  virtual void prepare(std::string_view head) { (void)head; }
  // How many bytes of `buffer` form whole records (0: need more; at eof everything).
  [[nodiscard]] virtual std::size_t boundary(std::string_view buffer, bool eof) const = 0;
  // The edits for one chunk of whole records, in order, not overlapping. `first` says the
  // chunk starts the input (so a CSV header is skipped).
  virtual void edits(std::string_view chunk, bool first, std::vector<Edit>& out,
                     Stats& stats) const = 0;
};

std::unique_ptr<Format> make_format(const FileRedaction& redaction);

// Applies sorted, non-overlapping edits.
void apply_edits(std::string_view input, const std::vector<Edit>& edits, std::string& out);

}  // namespace ward::redact
