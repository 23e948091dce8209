// Text (logs and anything line-oriented): every finding in the bytes is replaced in place; drop
// removes it. A chunk never ends inside a PEM block, so a private key split across two reads is
// still found.
#include <cstring>

#include "formats.hpp"
#include "ward/error.hpp"

namespace ward::redact::formats {

std::size_t line_boundary(std::string_view buffer, bool eof) {
  if (eof) return buffer.size();
  const auto newline = buffer.rfind('\n');
  return newline == std::string_view::npos ? 0 : newline + 1;
}

namespace {

class TextFormat final : public Format {
 public:
  explicit TextFormat(const FileRedaction& redaction) : m_redaction(redaction) {
    if (!redaction.rules.empty()) {
      fail(ErrorCode::usage, "text input has no columns or fields to select",
           "use --input-format csv, jsonl or json, or drop the column/field rules");
    }
  }

  [[nodiscard]] std::size_t boundary(std::string_view buffer, bool eof) const override {
    auto cut = line_boundary(buffer, eof);
    if (eof || cut == 0) return cut;
    // Do not cut an unterminated "-----BEGIN … PRIVATE KEY-----" block in two; give up after
    // 64 MiB (no key is that long).
    // Moving the cut back to the BEGIN line may split an earlier block whose END shares that
    // line ("-----END …-----" and "-----BEGIN …" of concatenated PEM files), so repeat until
    // the chunk holds no open block.
    if (buffer.size() >= (std::size_t{64} << 20)) return cut;
    while (cut > 0) {
      const auto head = buffer.substr(0, cut);
      const auto begin = head.rfind("-----BEGIN ");
      if (begin == std::string_view::npos ||
          head.find("-----END ", begin) != std::string_view::npos)
        break;
      const auto line_start = head.rfind('\n', begin);
      cut = line_start == std::string_view::npos ? 0 : line_start + 1;
    }
    return cut;
  }

  void edits(std::string_view chunk, bool /*first*/, std::vector<Edit>& out,
             Stats& stats) const override {
    std::vector<Hit> hits;
    m_redaction.scanner->scan(chunk, hits);
    const auto& detectors = m_redaction.scanner->detectors();
    for (const auto& hit : hits) {
      const auto value = chunk.substr(hit.begin, hit.end - hit.begin);
      stats.add(std::string(detectors[hit.detector]->name()), {}, value, m_redaction.samples);
      if (m_redaction.redactor) {
        out.push_back({hit.begin, hit.end, m_redaction.redactor->apply(value).value_or("")});
      }
    }
  }

 private:
  const FileRedaction& m_redaction;
};

}  // namespace

std::unique_ptr<Format> make_text(const FileRedaction& redaction) {
  return std::make_unique<TextFormat>(redaction);
}

}  // namespace ward::redact::formats
