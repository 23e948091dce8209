// CSV (RFC 4180): cells by column name (from the header row) or every cell. Quoting is kept:
// a quoted cell stays quoted, an unquoted one is quoted only when its new value needs it, and
// every byte outside a redacted cell is copied unchanged.
#include <map>

#include "formats.hpp"
#include "ward/error.hpp"

namespace ward::redact::formats {
namespace {

struct Cell {
  std::size_t begin = 0;  // raw span, quotes included
  std::size_t end = 0;
  bool quoted = false;
};

// Splits one record starting at `at`; returns where the next record starts.
std::size_t parse_record(std::string_view text, std::size_t at, std::vector<Cell>& cells) {
  cells.clear();
  for (;;) {
    Cell cell{at, at, false};
    if (at < text.size() && text[at] == '"') {
      cell.quoted = true;
      ++at;
      while (at < text.size()) {
        if (text[at] == '"') {
          if (at + 1 < text.size() && text[at + 1] == '"') {
            at += 2;
            continue;
          }
          ++at;
          break;
        }
        ++at;
      }
    }
    while (at < text.size() && text[at] != ',' && text[at] != '\n' && text[at] != '\r') ++at;
    cell.end = at;
    cells.push_back(cell);
    if (at >= text.size()) return at;
    if (text[at] == ',') {
      ++at;
      continue;
    }
    if (text[at] == '\r') ++at;
    if (at < text.size() && text[at] == '\n') ++at;
    return at;
  }
}

std::string decode(std::string_view raw, bool quoted) {
  if (!quoted) return std::string(raw);
  auto inner = raw.substr(1);
  if (!inner.empty() && inner.back() == '"') inner.remove_suffix(1);
  std::string out;
  out.reserve(inner.size());
  for (std::size_t i = 0; i < inner.size(); ++i) {
    out += inner[i];
    if (inner[i] == '"' && i + 1 < inner.size() && inner[i + 1] == '"') ++i;
  }
  return out;
}

bool needs_quotes(std::string_view value) {
  return value.find_first_of(",\"\r\n") != std::string_view::npos;
}

std::string encode(std::string_view value, bool was_quoted) {
  if (!was_quoted && !needs_quotes(value)) return std::string(value);
  std::string out = "\"";
  for (const char c : value) {
    out += c;
    if (c == '"') out += '"';
  }
  out += '"';
  return out;
}

class CsvFormat final : public Format {
 public:
  explicit CsvFormat(const FileRedaction& redaction) : m_redaction(redaction) {}

  void prepare(std::string_view head) override {
    std::vector<Cell> cells;
    parse_record(head, 0, cells);
    std::map<std::string, std::size_t> index;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      auto name =
          decode(head.substr(cells[i].begin, cells[i].end - cells[i].begin), cells[i].quoted);
      index.emplace(name, i);
      names.push_back(std::move(name));
    }
    m_names = names;
    for (const auto& rule : m_redaction.rules) {
      const auto found = index.find(rule.selector);
      if (found == index.end()) {
        std::string known;
        for (const auto& name : names) known += (known.empty() ? "" : ", ") + name;
        fail(ErrorCode::usage, "unknown column '" + rule.selector + "'",
             "the header has: " + known);
      }
      m_column_rules[found->second] = &rule;
    }
  }

  // The end of the last whole record, found by the same parser edits() uses: a stray quote in
  // an unquoted cell or an unterminated quoted cell must split the file where parsing it whole
  // would, or the records (and what gets redacted) would depend on the read sizes.
  [[nodiscard]] std::size_t boundary(std::string_view buffer, bool eof) const override {
    if (eof) return buffer.size();
    std::vector<Cell> cells;
    std::size_t cut = 0;
    while (cut < buffer.size()) {
      const auto next = parse_record(buffer, cut, cells);
      // Whole when the parser consumed a line end after the last cell, unless that was a CR
      // at the end of the buffer (its LF may come with the next read).
      const bool ended = cells.back().end < next;
      if (!ended || (next == buffer.size() && buffer[next - 1] == '\r')) break;
      cut = next;
    }
    return cut;
  }

  void edits(std::string_view chunk, bool first, std::vector<Edit>& out,
             Stats& stats) const override {
    std::vector<Hit> hits;
    if (m_redaction.rules.empty()) {
      m_redaction.scanner->scan(chunk, hits);
      // A finding across cells (a PEM block over several rows) is in no cell, yet it hides the
      // findings it overlaps, and whether it is found depends on where the chunk ends: scan
      // cell by cell instead.
      if (!hits.empty() && !within_cells(chunk, hits)) hits = cell_hits(chunk);
    }
    std::size_t next_hit = 0;
    std::vector<Cell> cells;
    std::size_t at = 0;
    if (first) at = parse_record(chunk, 0, cells);  // the header is never redacted
    while (at < chunk.size()) {
      at = parse_record(chunk, at, cells);
      for (std::size_t column = 0; column < cells.size(); ++column) {
        const auto& cell = cells[column];
        const auto name = column < m_names.size() ? m_names[column] : "#" + std::to_string(column);
        if (m_redaction.rules.empty()) {
          std::vector<Hit> inside;
          while (next_hit < hits.size() && hits[next_hit].begin < cell.end) {
            const auto& hit = hits[next_hit++];
            if (hit.begin >= cell.begin && hit.end <= cell.end &&
                chunk.substr(hit.begin, hit.end - hit.begin).find('"') == std::string_view::npos)
              inside.push_back(hit);
          }
          if (!inside.empty()) {
            redact_findings(chunk, cell, inside, *m_redaction.scanner, m_redaction.redactor.get(),
                            name, out, stats);
          }
          continue;
        }
        const auto rule = m_column_rules.find(column);
        if (rule == m_column_rules.end()) continue;
        apply_rule(chunk, cell, *rule->second, name, out, stats);
      }
    }
  }

 private:
  static std::vector<Cell> all_cells(std::string_view chunk) {
    std::vector<Cell> out;
    std::vector<Cell> cells;
    for (std::size_t at = 0; at < chunk.size();) {
      at = parse_record(chunk, at, cells);
      out.insert(out.end(), cells.begin(), cells.end());
    }
    return out;
  }

  static bool within_cells(std::string_view chunk, const std::vector<Hit>& hits) {
    const auto cells = all_cells(chunk);
    std::size_t c = 0;
    for (const auto& hit : hits) {
      while (c < cells.size() && cells[c].end <= hit.begin) ++c;
      if (c >= cells.size() || hit.begin < cells[c].begin || hit.end > cells[c].end) return false;
    }
    return true;
  }

  [[nodiscard]] std::vector<Hit> cell_hits(std::string_view chunk) const {
    std::vector<Hit> out;
    std::vector<Hit> inside;
    for (const auto& cell : all_cells(chunk)) {
      inside.clear();
      m_redaction.scanner->scan(chunk.substr(cell.begin, cell.end - cell.begin), inside);
      for (const auto& hit : inside)
        out.push_back({hit.begin + cell.begin, hit.end + cell.begin, hit.detector});
    }
    return out;
  }

  // Findings inside one cell: span edits when the replacements need no quoting, else the cell
  // is rebuilt.
  void redact_findings(std::string_view chunk, const Cell& cell, const std::vector<Hit>& hits,
                       const Scanner& scanner, const Redactor* redactor, const std::string& column,
                       std::vector<Edit>& out, Stats& stats) const {
    std::vector<Edit> local;
    bool safe = true;
    for (const auto& hit : hits) {
      const auto value = chunk.substr(hit.begin, hit.end - hit.begin);
      stats.add(std::string(scanner.detectors()[hit.detector]->name()), column, value,
                m_redaction.samples);
      if (redactor == nullptr) continue;
      auto replacement = redactor->apply(value).value_or("");
      if (needs_quotes(replacement)) safe = false;
      local.push_back({hit.begin, hit.end, std::move(replacement)});
    }
    if (local.empty()) return;
    if (safe) {
      out.insert(out.end(), local.begin(), local.end());
      return;
    }
    std::vector<Edit> shifted;
    for (auto& edit : local) {
      shifted.push_back(
          {edit.begin - cell.begin, edit.end - cell.begin, std::move(edit.replacement)});
    }
    std::string raw;
    apply_edits(chunk.substr(cell.begin, cell.end - cell.begin), shifted, raw);
    out.push_back({cell.begin, cell.end, encode(decode(raw, cell.quoted), cell.quoted)});
  }

  void apply_rule(std::string_view chunk, const Cell& cell, const ValueRule& rule,
                  const std::string& column, std::vector<Edit>& out, Stats& stats) const {
    const auto raw = chunk.substr(cell.begin, cell.end - cell.begin);
    const auto value = decode(raw, cell.quoted);
    if (!rule.scanner) {
      if (value.empty() || rule.redactor->is_output(value)) return;
      stats.add(std::string(k_whole_value), column, value, m_redaction.samples);
      out.push_back(
          {cell.begin, cell.end, encode(rule.redactor->apply(value).value_or(""), cell.quoted)});
      return;
    }
    std::vector<Hit> hits;
    rule.scanner->scan(value, hits);
    if (hits.empty()) return;
    std::vector<Edit> local;
    for (const auto& hit : hits) {
      const auto found = std::string_view(value).substr(hit.begin, hit.end - hit.begin);
      stats.add(std::string(rule.scanner->detectors()[hit.detector]->name()), column, found,
                m_redaction.samples);
      local.push_back({hit.begin, hit.end, rule.redactor->apply(found).value_or("")});
    }
    std::string redacted;
    apply_edits(value, local, redacted);
    out.push_back({cell.begin, cell.end, encode(redacted, cell.quoted)});
  }

  const FileRedaction& m_redaction;
  std::vector<std::string> m_names;
  std::map<std::size_t, const ValueRule*> m_column_rules;
};

}  // namespace

std::unique_ptr<Format> make_csv(const FileRedaction& redaction) {
  return std::make_unique<CsvFormat>(redaction);
}

}  // namespace ward::redact::formats
