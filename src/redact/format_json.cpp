// JSON and JSONL: values by field path (`$.user.email`, `$.items[*].email`) or every string
// value. The input is never re-serialised: only the bytes of a redacted value change, so key
// order, spacing and number formatting stay as they were. A JSONL chunk is whole lines; a JSON
// document is one chunk.
#include <algorithm>
#include <map>

#include "formats.hpp"
#include "ward/error.hpp"

namespace ward::redact::formats {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::uint32_t hex4(std::string_view s) {
  std::uint32_t v = 0;
  for (const char c : s.substr(0, 4)) {
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= static_cast<std::uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= static_cast<std::uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= static_cast<std::uint32_t>(c - 'A' + 10);
  }
  return v;
}

// Decodes a string's content (between the quotes); `origin[i]` is the raw offset where decoded
// byte i's escape or character starts (one extra entry for the end), so findings in the decoded
// text map back to raw spans that never split an escape.
std::string decode_string(std::string_view raw, std::vector<std::size_t>* origin) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const auto start = i;
    const auto before = out.size();
    if (raw[i] != '\\' || i + 1 >= raw.size()) {
      out += raw[i++];
    } else {
      const char e = raw[i + 1];
      i += 2;
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          auto cp = hex4(raw.substr(i));
          i += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF && raw.substr(i, 2) == "\\u") {
            const auto low = hex4(raw.substr(i + 2));
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              i += 6;
            }
          }
          append_utf8(out, cp);
          break;
        }
        default:
          out += e;  // \" \\ \/
      }
    }
    if (origin != nullptr) {
      for (std::size_t k = before; k < out.size(); ++k) origin->push_back(start);
    }
  }
  if (origin != nullptr) origin->push_back(raw.size());
  return out;
}

std::string encode_string(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char k_hex[] = "0123456789abcdef";
          out += "\\u00";
          out += k_hex[(c >> 4) & 0xF];
          out += k_hex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

// The content of a string token, escaped for use inside it (no quotes).
std::string escape_inside(std::string_view value) {
  auto quoted = encode_string(value);
  return quoted.substr(1, quoted.size() - 2);
}

// A scalar value found by the walker: its raw span and its path.
struct Token {
  std::size_t begin = 0;  // raw span (quotes included for strings)
  std::size_t end = 0;
  bool is_string = false;
  bool has_escape = false;
};

// Walks the JSON values in text[from, to) (one JSONL line, or a whole document), calling
// visit(token, path) for every scalar value (object keys excluded).
template <typename Visit>
void walk(std::string_view text, std::size_t from, std::size_t to, Visit&& visit) {
  struct Frame {
    bool object;
    std::size_t path_length;
    bool expect_key;
  };
  std::vector<Frame> stack;
  std::string path;
  std::size_t i = from;
  const auto malformed = [&](const char* what) {
    fail(ErrorCode::usage,
         std::string("malformed JSON at byte ") + std::to_string(i) + ": " + what);
  };
  const auto skip_space = [&] {
    while (i < to && is_space(text[i])) ++i;
  };
  const auto read_string = [&](Token& token) {
    token.begin = i++;
    token.is_string = true;
    while (i < to && text[i] != '"') {
      if (text[i] == '\\') {
        token.has_escape = true;
        ++i;
      }
      ++i;
    }
    if (i >= to) malformed("unterminated string");
    token.end = ++i;
  };
  path = "$";
  for (;;) {
    skip_space();
    if (i >= to) {
      if (!stack.empty()) malformed("unexpected end");
      return;
    }
    // Inside an object, read "key":
    if (!stack.empty() && stack.back().object && stack.back().expect_key) {
      if (text[i] == '}') {
        path.resize(stack.back().path_length);
        stack.pop_back();
        ++i;
        goto after_value;
      }
      if (text[i] != '"') malformed("expected a key");
      Token key;
      read_string(key);
      path.resize(stack.back().path_length);
      path += '.';
      if (key.has_escape) {
        path += decode_string(text.substr(key.begin + 1, key.end - key.begin - 2), nullptr);
      } else {
        path.append(text.substr(key.begin + 1, key.end - key.begin - 2));
      }
      skip_space();
      if (i >= to || text[i] != ':') malformed("expected ':'");
      ++i;
      stack.back().expect_key = false;
      skip_space();
    } else if (!stack.empty() && !stack.back().object && text[i] == ']') {
      path.resize(stack.back().path_length);
      stack.pop_back();
      ++i;
      goto after_value;
    }
    if (i >= to) malformed("unexpected end");
    // A value.
    if (text[i] == '{' || text[i] == '[') {
      const bool object = text[i] == '{';
      stack.push_back({object, path.size(), object});
      if (!object) path += "[*]";
      ++i;
      continue;
    }
    {
      Token token;
      if (text[i] == '"') {
        read_string(token);
      } else {
        token.begin = i;
        while (i < to && text[i] != ',' && text[i] != '}' && text[i] != ']' && !is_space(text[i]))
          ++i;
        token.end = i;
        if (token.begin == token.end) malformed("expected a value");
      }
      visit(token, std::string_view(path));
    }
  after_value:
    skip_space();
    if (stack.empty()) continue;  // next top-level value (JSONL, or a stream of documents)
    if (i < to && text[i] == ',') {
      ++i;
      if (stack.back().object) stack.back().expect_key = true;
      continue;
    }
    if (i < to && (text[i] == '}' || text[i] == ']')) {
      if (stack.back().object != (text[i] == '}')) malformed("mismatched bracket");
      path.resize(stack.back().path_length);
      stack.pop_back();
      ++i;
      goto after_value;
    }
    malformed("expected ',' or a closing bracket");
  }
}

bool path_matches(std::string_view selector, std::string_view path) {
  if (selector == path) return true;
  // `$.items[0].email` style selectors are accepted as `[*]`.
  std::string normal;
  for (std::size_t i = 0; i < selector.size(); ++i) {
    if (selector[i] == '[') {
      const auto close = selector.find(']', i);
      if (close == std::string_view::npos) return false;
      normal += "[*]";
      i = close;
    } else {
      normal += selector[i];
    }
  }
  return normal == path;
}

class JsonFormat final : public Format {
 public:
  explicit JsonFormat(const FileRedaction& redaction)
      : m_redaction(redaction), m_lines(redaction.format == InputFormat::jsonl) {
    for (const auto& rule : redaction.rules) {
      if (!rule.selector.starts_with("$")) {
        fail(ErrorCode::usage, "field path '" + rule.selector + "' must start with $",
             "for example $.user.email or $.items[*].email");
      }
    }
  }

  [[nodiscard]] std::size_t boundary(std::string_view buffer, bool eof) const override {
    if (m_lines) return line_boundary(buffer, eof);
    return eof ? buffer.size() : 0;  // a JSON document is one chunk
  }

  void edits(std::string_view chunk, bool /*first*/, std::vector<Edit>& out,
             Stats& stats) const override {
    if (m_redaction.rules.empty()) {
      scan_everything(chunk, out, stats);
      return;
    }
    for_each_segment(chunk, [&](std::size_t from, std::size_t to) {
      walk(chunk, from, to, [&](const Token& token, std::string_view path) {
        for (const auto& rule : m_redaction.rules) {
          if (!path_matches(rule.selector, path)) continue;
          apply_rule(chunk, token, rule, std::string(path), out, stats);
          break;
        }
      });
    });
  }

 private:
  template <typename F>
  void for_each_segment(std::string_view chunk, F&& f) const {
    if (!m_lines) {
      f(0, chunk.size());
      return;
    }
    std::size_t at = 0;
    while (at < chunk.size()) {
      auto newline = chunk.find('\n', at);
      if (newline == std::string_view::npos) newline = chunk.size();
      f(at, newline);
      at = newline + 1;
    }
  }

  // One Hyperscan pass over the raw chunk; only segments with candidates are walked, to keep
  // findings that lie inside string values.
  void scan_everything(std::string_view chunk, std::vector<Edit>& out, Stats& stats) const {
    std::vector<Hit> hits;
    m_redaction.scanner->scan(chunk, hits);
    if (hits.empty()) return;
    if (m_lines && std::ranges::any_of(hits, [&](const Hit& hit) {
          return chunk.substr(hit.begin, hit.end - hit.begin).find('\n') != std::string_view::npos;
        })) {
      // A finding across a line end (a PEM block in raw bytes) is in no JSONL value, yet it
      // hides the findings it overlaps and picks which lines are walked, so the result would
      // depend on where chunks end. Scan line by line instead, as the records are.
      hits.clear();
      for_each_segment(chunk, [&](std::size_t from, std::size_t to) {
        std::vector<Hit> line;
        m_redaction.scanner->scan(chunk.substr(from, to - from), line);
        for (const auto& hit : line)
          hits.push_back({hit.begin + from, hit.end + from, hit.detector});
      });
      if (hits.empty()) return;
    }
    std::size_t next = 0;
    for_each_segment(chunk, [&](std::size_t from, std::size_t to) {
      while (next < hits.size() && hits[next].begin < from) ++next;
      if (next >= hits.size() || hits[next].begin >= to) return;
      walk(chunk, from, to, [&](const Token& token, std::string_view path) {
        if (!token.is_string) return;
        while (next < hits.size() && hits[next].begin < token.begin) ++next;
        if (next >= hits.size() || hits[next].begin >= token.end) return;
        if (token.has_escape) {
          // Findings may straddle escapes: scan the decoded value instead.
          while (next < hits.size() && hits[next].begin < token.end) ++next;
          scan_string(chunk, token, *m_redaction.scanner, m_redaction.redactor.get(),
                      std::string(path), out, stats);
          return;
        }
        const auto& detectors = m_redaction.scanner->detectors();
        while (next < hits.size() && hits[next].begin < token.end) {
          const auto& hit = hits[next++];
          if (hit.end >= token.end) continue;  // crosses the closing quote
          const auto value = chunk.substr(hit.begin, hit.end - hit.begin);
          stats.add(std::string(detectors[hit.detector]->name()), std::string(path), value,
                    m_redaction.samples);
          if (m_redaction.redactor) {
            out.push_back({hit.begin, hit.end,
                           escape_inside(m_redaction.redactor->apply(value).value_or(""))});
          }
        }
      });
    });
  }

  // Findings of `scanner` in one string value, found in its decoded form.
  void scan_string(std::string_view chunk, const Token& token, const Scanner& scanner,
                   const Redactor* redactor, const std::string& path, std::vector<Edit>& out,
                   Stats& stats) const {
    const auto raw = chunk.substr(token.begin + 1, token.end - token.begin - 2);
    std::vector<std::size_t> origin;
    const auto value = token.has_escape ? decode_string(raw, &origin) : std::string(raw);
    std::vector<Hit> hits;
    scanner.scan(value, hits);
    for (const auto& hit : hits) {
      const auto found = std::string_view(value).substr(hit.begin, hit.end - hit.begin);
      stats.add(std::string(scanner.detectors()[hit.detector]->name()), path, found,
                m_redaction.samples);
      if (redactor == nullptr) continue;
      const auto raw_begin = token.begin + 1 + (token.has_escape ? origin[hit.begin] : hit.begin);
      const auto raw_end = token.begin + 1 + (token.has_escape ? origin[hit.end] : hit.end);
      out.push_back({raw_begin, raw_end, escape_inside(redactor->apply(found).value_or(""))});
    }
  }

  void apply_rule(std::string_view chunk, const Token& token, const ValueRule& rule,
                  const std::string& path, std::vector<Edit>& out, Stats& stats) const {
    if (rule.scanner) {
      if (token.is_string)
        scan_string(chunk, token, *rule.scanner, rule.redactor.get(), path, out, stats);
      return;
    }
    const auto raw = chunk.substr(token.begin, token.end - token.begin);
    if (raw == "null") return;  // nothing left to redact
    const auto value =
        token.is_string ? decode_string(raw.substr(1, raw.size() - 2), nullptr) : std::string(raw);
    if (rule.redactor->is_output(value)) return;
    stats.add(std::string(k_whole_value), path, value, m_redaction.samples);
    const auto result = rule.redactor->apply(value);
    out.push_back({token.begin, token.end, result ? encode_string(*result) : "null"});
  }

  const FileRedaction& m_redaction;
  bool m_lines;
};

}  // namespace

std::unique_ptr<Format> make_json(const FileRedaction& redaction) {
  return std::make_unique<JsonFormat>(redaction);
}

}  // namespace ward::redact::formats
