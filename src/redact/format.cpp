#include "ward/redact/format.hpp"

#include "formats.hpp"
#include "ward/error.hpp"

namespace ward::redact {

std::string_view to_string(InputFormat format) {
  switch (format) {
    case InputFormat::text:
      return "text";
    case InputFormat::csv:
      return "csv";
    case InputFormat::jsonl:
      return "jsonl";
    case InputFormat::json:
      return "json";
  }
  return "text";
}

InputFormat parse_input_format(std::string_view text, std::string_view path) {
  if (text == "auto" || text.empty()) {
    if (path.ends_with(".csv")) return InputFormat::csv;
    if (path.ends_with(".jsonl") || path.ends_with(".ndjson")) return InputFormat::jsonl;
    if (path.ends_with(".json")) return InputFormat::json;
    return InputFormat::text;
  }
  for (const auto format :
       {InputFormat::text, InputFormat::csv, InputFormat::jsonl, InputFormat::json}) {
    if (to_string(format) == text) return format;
  }
  fail(ErrorCode::usage, "unknown input format '" + std::string(text) + "'",
       "formats: auto, text, csv, jsonl, json");
}

void Stats::add(const std::string& detector, const std::string& field, std::string_view value,
                std::size_t max_samples) {
  ++detectors[detector];
  if (!field.empty()) ++fields[field];
  ++items;
  auto& kept = samples[detector];
  if (kept.size() < max_samples) kept.push_back(masked_sample(value));
}

void Stats::merge(const Stats& other, std::size_t max_samples) {
  for (const auto& [name, n] : other.detectors) detectors[name] += n;
  for (const auto& [name, n] : other.fields) fields[name] += n;
  for (const auto& [name, values] : other.samples) {
    auto& kept = samples[name];
    for (const auto& value : values) {
      if (kept.size() >= max_samples) break;
      kept.push_back(value);
    }
  }
  items += other.items;
  bytes += other.bytes;
}

void apply_edits(std::string_view input, const std::vector<Edit>& edits, std::string& out) {
  out.reserve(out.size() + input.size() + 64);
  std::size_t at = 0;
  for (const auto& edit : edits) {
    out.append(input.substr(at, edit.begin - at));
    out.append(edit.replacement);
    at = edit.end;
  }
  out.append(input.substr(at));
}

std::unique_ptr<Format> make_format(const FileRedaction& redaction) {
  switch (redaction.format) {
    case InputFormat::text:
      return formats::make_text(redaction);
    case InputFormat::csv:
      return formats::make_csv(redaction);
    case InputFormat::jsonl:
    case InputFormat::json:
      return formats::make_json(redaction);
  }
  return formats::make_text(redaction);
}

}  // namespace ward::redact
