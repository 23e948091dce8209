// Readers of `ward cred import`'s sources (.env, JSON) and the writer of `ward cred export`'s
// document (ward.cred.export/v1). Secret values stay in secret memory throughout: the input
// arrives as SecretBytes, JSON is parsed into util::SecretJson, values are copied into
// SecretBytes; error messages name the place (file, line, field), never a value.
#include "ward/vault/transfer.hpp"

#include <algorithm>
#include <set>

#include "ward/error.hpp"
#include "ward/util/duration.hpp"
#include "ward/util/secret_json.hpp"

namespace ward::vault {
namespace {

using util::SecretJson;
using util::SecretString;

constexpr std::string_view k_export_schema = "ward.cred.export/v1";

ImportItem flat_item(const std::string& key, crypto::SecretBytes value,
                     const ImportDefaults& defaults, std::string origin) {
  ImportItem item;
  item.name = defaults.prefix + key;
  item.type = defaults.type;
  item.secret_field = default_secret_field(defaults.type);
  item.secrets.emplace(item.secret_field, std::move(value));
  item.origin = std::move(origin);
  return item;
}

bool is_key_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_key_char(char c) { return is_key_start(c) || (c >= '0' && c <= '9') || c == '.'; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

// One pass over a .env text, line by line; a quoted value may run over several lines.
class DotenvParser {
 public:
  DotenvParser(std::string_view text, const std::string& source) : m_text(text), m_source(source) {}

  std::vector<ImportItem> parse(const ImportDefaults& defaults) {
    std::vector<ImportItem> items;
    std::map<std::string, std::size_t> seen;  // key → line
    while (m_pos < m_text.size()) {
      skip_blanks();
      if (at_line_end()) {
        next_line();
        continue;
      }
      if (peek() == '#') {
        skip_to_line_end();
        next_line();
        continue;
      }
      const auto line = m_line;
      auto key = read_key();
      if (key == "export" && !at_line_end() && is_blank(peek())) {
        skip_blanks();
        key = read_key();
      }
      if (key.empty()) error(line, "expected KEY=VALUE (a key starts with a letter or '_')");
      skip_blanks();
      if (at_line_end() || peek() != '=') {
        error(line, "expected '=' after the key " + key);
      }
      ++m_pos;
      skip_blanks();
      auto value = read_value(line);
      if (const auto [it, inserted] = seen.emplace(key, line); !inserted) {
        error(line, "the key " + key + " is also on line " + std::to_string(it->second));
      }
      items.push_back(flat_item(key, std::move(value), defaults, where(line)));
      next_line();
    }
    return items;
  }

 private:
  [[nodiscard]] char peek() const { return m_text[m_pos]; }
  [[nodiscard]] bool at_line_end() const {
    return m_pos >= m_text.size() || m_text[m_pos] == '\n' ||
           (m_text[m_pos] == '\r' && (m_pos + 1 == m_text.size() || m_text[m_pos + 1] == '\n'));
  }
  void skip_blanks() {
    while (m_pos < m_text.size() && is_blank(m_text[m_pos])) ++m_pos;
  }
  void skip_to_line_end() {
    while (!at_line_end()) ++m_pos;
  }
  void next_line() {
    if (m_pos < m_text.size() && m_text[m_pos] == '\r') ++m_pos;
    if (m_pos < m_text.size() && m_text[m_pos] == '\n') {
      ++m_pos;
      ++m_line;
    }
  }
  std::string read_key() {
    const auto start = m_pos;
    if (m_pos < m_text.size() && is_key_start(m_text[m_pos])) {
      while (m_pos < m_text.size() && is_key_char(m_text[m_pos])) ++m_pos;
    }
    return std::string(m_text.substr(start, m_pos - start));
  }
  [[nodiscard]] std::string where(std::size_t line) const {
    return m_source + ":" + std::to_string(line);
  }
  [[noreturn]] void error(std::size_t line, const std::string& message) const {
    fail(ErrorCode::usage, where(line) + ": " + message, "nothing was imported");
  }

  crypto::SecretBytes read_value(std::size_t line) {
    crypto::SecretBytes value;
    if (m_pos < m_text.size() && (peek() == '"' || peek() == '\'')) {
      const char quote = peek();
      ++m_pos;
      for (;;) {
        if (m_pos >= m_text.size()) {
          error(line, std::string("the ") + (quote == '"' ? "double" : "single") +
                          "-quoted value is never closed");
        }
        const char c = m_text[m_pos++];
        if (c == quote) break;
        if (c == '\n') ++m_line;
        if (c == '\\' && quote == '"' && m_pos < m_text.size()) {
          const char e = m_text[m_pos++];
          switch (e) {
            case 'n':
              value.append("\n");
              break;
            case 't':
              value.append("\t");
              break;
            case 'r':
              value.append("\r");
              break;
            case '"':
              value.append("\"");
              break;
            case '\\':
              value.append("\\");
              break;
            case '$':
              value.append("$");
              break;
            default:
              error(m_line, std::string("unknown escape \\") + e +
                                " in a double-quoted value (use \\\\ for a backslash)");
          }
          continue;
        }
        value.append(std::string_view(&c, 1));
      }
      skip_blanks();
      if (!at_line_end() && peek() == '#') skip_to_line_end();
      if (!at_line_end()) error(m_line, "unexpected text after the closing quote");
      return value;
    }
    // Unquoted: up to the end of the line or a comment (a '#' after a blank), trimmed.
    const auto start = m_pos;
    auto end = m_pos;
    while (!at_line_end()) {
      if (peek() == '#' && m_pos > start && is_blank(m_text[m_pos - 1])) {
        skip_to_line_end();
        break;
      }
      ++m_pos;
      end = m_pos;
    }
    while (end > start && is_blank(m_text[end - 1])) --end;
    value.append(m_text.substr(start, end - start));
    return value;
  }

  std::string_view m_text;
  const std::string& m_source;
  std::size_t m_pos = 0;
  std::size_t m_line = 1;
};

std::string plain(const SecretString& s) { return {s.data(), s.size()}; }
SecretString secret_string(std::string_view s) { return {s.data(), s.size()}; }

// Reading one credential of a ward.cred.export/v1 document; `where` is "FILE: credentials[I]".
class EntryReader {
 public:
  EntryReader(const SecretJson& entry, std::string where)
      : m_entry(entry), m_where(std::move(where)) {}

  [[noreturn]] void error(const std::string& message) const {
    fail(ErrorCode::usage, m_where + ": " + message, "nothing was imported");
  }
  std::optional<std::string> string_member(const char* key) const {
    const auto found = m_entry.find(key);
    if (found == m_entry.end() || found->is_null()) return std::nullopt;
    if (!found->is_string()) error(std::string("'") + key + "' must be a string");
    return plain(found->get_ref<const SecretString&>());
  }
  const SecretJson* object_member(const char* key) const {
    const auto found = m_entry.find(key);
    if (found == m_entry.end() || found->is_null()) return nullptr;
    if (!found->is_object()) error(std::string("'") + key + "' must be an object");
    for (const auto& [k, v] : found->items()) {
      if (!v.is_string()) {
        error(std::string("'") + key + "." + plain(k) + "' must be a string");
      }
    }
    return &*found;
  }

  [[nodiscard]] ImportItem read() const {
    if (!m_entry.is_object()) error("each credential must be an object");
    ImportItem item;
    item.origin = m_where;
    const auto name = string_member("name");
    if (!name || name->empty()) error("'name' is missing");
    item.name = *name;
    const auto type = string_member("type");
    if (!type) error("'type' is missing (" + item.name + ")");
    item.type = *type;
    if (const auto* fields = object_member("fields")) {
      for (const auto& [k, v] : fields->items())
        item.fields.emplace(plain(k), plain(v.get_ref<const SecretString&>()));
    }
    if (const auto* secrets = object_member("secrets")) {
      for (const auto& [k, v] : secrets->items()) {
        const auto& value = v.get_ref<const SecretString&>();
        item.secrets.emplace(plain(k), crypto::SecretBytes(value.data(), value.size()));
      }
    }
    if (item.secrets.empty()) {
      error("credential " + item.name +
            " has no secret values: the document was exported without --reveal");
    }
    item.secret_field = string_member("secret_field").value_or("");
    if (item.secret_field.empty()) {
      item.secret_field =
          item.secrets.size() == 1 ? item.secrets.begin()->first : default_secret_field(item.type);
    }
    if (const auto every = string_member("rotate_every")) {
      try {
        item.rotate_every = util::parse_duration(*every);
      } catch (const Error&) {
        error("'rotate_every' of " + item.name + " is not a duration such as 90d");
      }
    }
    item.generation_policy = string_member("generation_policy").value_or("");
    return item;
  }

 private:
  const SecretJson& m_entry;
  std::string m_where;
};

}  // namespace

std::string_view to_string(ImportFormat format) {
  switch (format) {
    case ImportFormat::env:
      return "env";
    case ImportFormat::json:
      return "json";
    case ImportFormat::pass:
      return "pass";
  }
  return "?";
}

ImportFormat parse_import_format(std::string_view text) {
  if (text == "env") return ImportFormat::env;
  if (text == "json") return ImportFormat::json;
  if (text == "pass") return ImportFormat::pass;
  fail(ErrorCode::usage, "unknown input format '" + std::string(text) + "'",
       "use --input-format env, json or pass");
}

std::vector<ImportItem> parse_dotenv(const crypto::SecretBytes& text, const std::string& source,
                                     const ImportDefaults& defaults) {
  return DotenvParser(text.reveal(), source).parse(defaults);
}

std::vector<ImportItem> parse_json_import(const crypto::SecretBytes& text,
                                          const std::string& source,
                                          const ImportDefaults& defaults) {
  const auto view = text.reveal();
  SecretJson doc;
  try {
    doc = SecretJson::parse(view.begin(), view.end());
  } catch (const SecretJson::parse_error& e) {
    // nlohmann's message quotes the text it last read, which may be part of a secret: the
    // position is computed here instead.
    const auto upto = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, view.size());
    const auto line = 1 + std::count(view.begin(), view.begin() + static_cast<long>(upto), '\n');
    const auto line_start = view.rfind('\n', upto == 0 ? 0 : upto - 1);
    const auto column =
        line_start == std::string_view::npos || upto == 0 ? upto + 1 : upto - line_start;
    fail(ErrorCode::usage,
         source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": not valid JSON",
         "nothing was imported");
  } catch (const SecretJson::exception&) {
    // out_of_range (a number too large for a double), found by fuzz_import: its message quotes
    // the number, so it is not passed on either.
    fail(ErrorCode::usage, source + ": not valid JSON (a number out of range)",
         "nothing was imported");
  }
  if (!doc.is_object()) {
    fail(ErrorCode::usage, source + ": expected a JSON object", "nothing was imported");
  }
  std::vector<ImportItem> items;
  const auto schema = doc.find("schema");
  if (schema == doc.end()) {
    // A flat document: name → secret string, as `sops -d` or `vault kv get -field=data` print.
    for (const auto& [key, value] : doc.items()) {
      if (!value.is_string()) {
        fail(ErrorCode::usage,
             source + ": '" + plain(key) +
                 "' is not a string (a document without \"schema\" maps names to secret "
                 "strings)",
             "nest nothing, or use the ward.cred.export/v1 layout (see ward-cred(1))");
      }
      const auto& text_value = value.get_ref<const SecretString&>();
      items.push_back(flat_item(plain(key),
                                crypto::SecretBytes(text_value.data(), text_value.size()), defaults,
                                source + ": '" + plain(key) + "'"));
    }
    return items;
  }
  if (!schema->is_string() || plain(schema->get_ref<const SecretString&>()) != k_export_schema) {
    fail(ErrorCode::usage,
         source + ": unsupported schema (expected " + std::string(k_export_schema) + ")");
  }
  const auto credentials = doc.find("credentials");
  if (credentials == doc.end() || !credentials->is_array()) {
    fail(ErrorCode::usage, source + ": 'credentials' must be an array", "nothing was imported");
  }
  std::size_t index = 0;
  for (const auto& entry : *credentials) {
    auto item =
        EntryReader(entry, source + ": credentials[" + std::to_string(index++) + "]").read();
    if (!defaults.prefix.empty()) item.name = defaults.prefix + item.name;
    items.push_back(std::move(item));
  }
  return items;
}

void validate_import(const std::vector<ImportItem>& items) {
  std::vector<std::string> problems;
  std::map<std::string, std::string> seen;  // name → origin
  const auto& types = credential_types();
  for (const auto& item : items) {
    if (item.name.empty() || item.name.size() > 256) {
      problems.push_back(item.origin + ": a name must have 1 to 256 characters");
    }
    if (std::find(types.begin(), types.end(), item.type) == types.end()) {
      problems.push_back(item.origin + ": unknown credential type '" + item.type + "'");
    }
    const auto secret = item.secrets.find(item.secret_field);
    if (secret == item.secrets.end()) {
      problems.push_back(item.origin + ": no value for the secret field '" + item.secret_field +
                         "'");
    } else if (secret->second.empty()) {
      problems.push_back(item.origin + ": the secret of " + item.name + " is empty");
    }
    for (const auto& [field, value] : item.fields) {
      if (is_secret_field_name(field)) {
        problems.push_back(item.origin + ": '" + field +
                           R"(' holds a secret and must be under "secrets", not "fields")");
      }
    }
    if (const auto [it, inserted] = seen.emplace(item.name, item.origin); !inserted) {
      problems.push_back(item.origin + ": " + item.name + " is also at " + it->second);
    }
  }
  if (problems.empty()) return;
  std::string message = problems.front();
  if (problems.size() > 1) {
    message += " (and " + std::to_string(problems.size() - 1) + " more:";
    for (std::size_t i = 1; i < problems.size() && i < 10; ++i) message += " " + problems[i] + ";";
    message.back() = ')';
  }
  fail(ErrorCode::usage, message, "nothing was imported");
}

crypto::SecretBytes write_export(const ExportHeader& header,
                                 const std::vector<ExportEntry>& entries) {
  SecretJson doc = SecretJson::object();
  doc["schema"] = secret_string(k_export_schema);
  doc["namespace"] = secret_string(header.namespace_name);
  doc["exported"] = secret_string(header.exported);
  doc["revealed"] = header.revealed;
  SecretJson credentials = SecretJson::array();
  for (const auto& entry : entries) {
    const auto& r = entry.record;
    SecretJson j = SecretJson::object();
    j["name"] = secret_string(r.name);
    j["type"] = secret_string(r.type);
    j["secret_field"] = secret_string(r.secret_field);
    SecretJson fields = SecretJson::object();
    for (const auto& [k, v] : r.fields) fields[secret_string(k)] = secret_string(v);
    j["fields"] = std::move(fields);
    SecretJson names = SecretJson::array();
    for (const auto& name : r.current_secret_names) names.push_back(secret_string(name));
    j["secret_fields"] = std::move(names);
    if (header.revealed) {
      SecretJson secrets = SecretJson::object();
      for (const auto& [k, v] : r.secrets) secrets[secret_string(k)] = secret_string(v.reveal());
      j["secrets"] = std::move(secrets);
    }
    if (r.rotate_every) j["rotate_every"] = secret_string(util::format_duration(*r.rotate_every));
    if (!r.generation_policy.empty()) j["generation_policy"] = secret_string(r.generation_policy);
    SecretJson metadata = SecretJson::object();
    metadata["id"] = secret_string(entry.id);
    metadata["version"] = r.current_version;
    metadata["newest_version"] = entry.newest_version;
    metadata["created"] = secret_string(r.credential_created);
    metadata["updated"] = secret_string(r.created);
    SecretJson revoked = SecretJson::array();
    for (const auto v : r.revoked) revoked.push_back(v);
    metadata["revoked_versions"] = std::move(revoked);
    j["metadata"] = std::move(metadata);
    credentials.push_back(std::move(j));
  }
  doc["credentials"] = std::move(credentials);
  const auto text = doc.dump(2);
  crypto::SecretBytes out(text.data(), text.size());
  out.append("\n");
  return out;
}

}  // namespace ward::vault
