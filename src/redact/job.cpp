#include "ward/redact/job.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "ward/error.hpp"
#include "ward/redact/file_redact.hpp"
#include "ward/util/duration.hpp"

namespace ward::redact {
namespace {

using Json = nlohmann::json;

void only_keys(const Json& object, const std::set<std::string>& allowed, const std::string& where) {
  if (!object.is_object()) fail(ErrorCode::usage, where + " must be a JSON object");
  for (const auto& [key, value] : object.items()) {
    if (!allowed.contains(key)) {
      std::string known;
      for (const auto& name : allowed) known += (known.empty() ? "" : ", ") + name;
      fail(ErrorCode::usage, "unknown key '" + key + "' in " + where, "allowed: " + known);
    }
  }
}

std::string string_at(const Json& object, const char* key, const std::string& where,
                      std::string fallback = {}) {
  const auto found = object.find(key);
  if (found == object.end()) return fallback;
  if (!found->is_string())
    fail(ErrorCode::usage, std::string(key) + " in " + where + " must be a string");
  return found->get<std::string>();
}

std::vector<std::string> strings_at(const Json& object, const char* key, const std::string& where) {
  const auto found = object.find(key);
  if (found == object.end()) return {};
  if (found->is_string()) return {found->get<std::string>()};
  if (!found->is_array())
    fail(ErrorCode::usage, std::string(key) + " in " + where + " must be a list");
  std::vector<std::string> out;
  for (const auto& item : *found) {
    if (!item.is_string())
      fail(ErrorCode::usage, std::string(key) + " in " + where + " must list strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string scalar_text(const Json& value, const std::string& where) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return value.dump();
  fail(ErrorCode::usage, "values in " + where + " must be strings, numbers or booleans");
}

ActionSpec parse_action_spec(const Json& object, const std::string& where) {
  ActionSpec spec;
  spec.kind = parse_action(string_at(object, "action", where, "mask"));
  if (const auto keep = object.find("keep"); keep != object.end()) {
    if (!keep->is_number_unsigned())
      fail(ErrorCode::usage, "keep in " + where + " must be a count");
    spec.keep = keep->get<std::size_t>();
  }
  spec.replacement = string_at(object, "replacement", where);
  if (spec.kind == ActionKind::replace && object.find("replacement") == object.end()) {
    fail(ErrorCode::usage, "the replace action in " + where + " needs a \"replacement\"");
  }
  return spec;
}

std::vector<ValueSpec> parse_values(const Json& values, const std::string& where) {
  if (!values.is_object()) fail(ErrorCode::usage, where + " must map names to actions");
  std::vector<ValueSpec> out;
  for (const auto& [selector, spec] : values.items()) {
    const auto here = where + " '" + selector + "'";
    ValueSpec value;
    value.selector = selector;
    if (spec.is_string()) {
      value.action.kind = parse_action(spec.get<std::string>());
      if (value.action.kind == ActionKind::replace) {
        fail(ErrorCode::usage, "the replace action in " + here + " needs a \"replacement\"");
      }
    } else {
      only_keys(spec, {"action", "keep", "replacement", "detectors"}, here);
      value.action = parse_action_spec(spec, here);
      value.detectors = strings_at(spec, "detectors", here);
    }
    out.push_back(std::move(value));
  }
  return out;
}

Condition parse_condition(const std::string& column, const Json& spec, const std::string& where) {
  Condition condition;
  condition.column = column;
  if (!spec.is_object()) {
    condition.op = spec.is_null() ? "is_null" : "eq";
    if (!spec.is_null()) condition.values.push_back(scalar_text(spec, where));
    return condition;
  }
  if (spec.size() != 1)
    fail(ErrorCode::usage,
         "condition on '" + column + "' in " + where + " needs exactly one operator");
  // Through an iterator that lives here: a structured binding to *items().begin() refers into
  // a temporary that is gone by the next line.
  const auto first = spec.begin();
  const std::string& op = first.key();
  const Json& operand = first.value();
  condition.op = op;
  if (op == "eq" || op == "ne") {
    condition.values.push_back(scalar_text(operand, where));
  } else if (op == "in" || op == "not_in") {
    if (!operand.is_array() || operand.empty())
      fail(ErrorCode::usage, op + " on '" + column + "' in " + where + " needs a non-empty list");
    for (const auto& item : operand) condition.values.push_back(scalar_text(item, where));
  } else if (op == "is_null") {
    if (!operand.is_boolean())
      fail(ErrorCode::usage, "is_null on '" + column + "' needs true or false");
    condition.op = operand.get<bool>() ? "is_null" : "not_null";
  } else {
    fail(ErrorCode::usage, "unknown operator '" + op + "' on '" + column + "' in " + where,
         "operators: eq, ne, in, not_in, is_null");
  }
  return condition;
}

RetentionRule parse_rule(const Json& spec, const std::string& where) {
  only_keys(spec, {"where", "older_than", "age_column"}, where);
  RetentionRule rule;
  if (const auto conditions = spec.find("where"); conditions != spec.end()) {
    if (!conditions->is_object())
      fail(ErrorCode::usage, "where in " + where + " must map columns to conditions");
    for (const auto& [column, condition] : conditions->items()) {
      rule.where.push_back(parse_condition(column, condition, where));
    }
  }
  const auto older = string_at(spec, "older_than", where);
  if (!older.empty()) {
    rule.older_than = util::parse_duration(older);
    rule.age_column = string_at(spec, "age_column", where);
    if (rule.age_column.empty())
      fail(ErrorCode::usage, "older_than in " + where + " needs an age_column");
  }
  return rule;
}

TargetSpec parse_target(const Json& spec, const std::string& where, const std::string& base_dir) {
  TargetSpec target;
  target.type = string_at(spec, "type", where);
  const auto resolve = [&](const std::string& path) {
    if (path == "-" || path.empty() || path.front() == '/') return path;
    return (std::filesystem::path(base_dir) / path).lexically_normal().string();
  };
  if (target.type == "file") {
    only_keys(spec,
              {"type", "paths", "path", "format", "detectors", "action", "keep", "replacement",
               "columns", "fields"},
              where);
    for (const auto& path : strings_at(spec, "paths", where)) target.paths.push_back(resolve(path));
    for (const auto& path : strings_at(spec, "path", where)) target.paths.push_back(resolve(path));
    if (target.paths.empty()) fail(ErrorCode::usage, where + " names no paths");
    target.format = string_at(spec, "format", where, "auto");
    if (target.format != "auto") (void)parse_input_format(target.format, "");
  } else if (target.type == "sqlite" || target.type == "postgres") {
    only_keys(spec, {"type", "database", "credential", "table", "key", "columns", "rules", "batch"},
              where);
    if (target.type == "sqlite") {
      target.database = resolve(string_at(spec, "database", where));
      if (target.database.empty()) fail(ErrorCode::usage, where + " needs a \"database\" file");
      if (spec.contains("credential"))
        fail(ErrorCode::usage, "a sqlite target takes a database file, not a credential");
    } else {
      target.credential = string_at(spec, "credential", where);
      if (target.credential.empty()) {
        fail(ErrorCode::usage,
             where + " needs a \"credential\" (a postgres credential in the vault)",
             "connection details and passwords never go in the job file");
      }
      if (spec.contains("database"))
        fail(ErrorCode::usage,
             "a postgres target is reached through its credential; drop \"database\"");
    }
    target.table = string_at(spec, "table", where);
    if (target.table.empty()) fail(ErrorCode::usage, where + " needs a \"table\"");
    target.key = string_at(spec, "key", where, target.type == "sqlite" ? "rowid" : "id");
    if (const auto batch = spec.find("batch"); batch != spec.end()) {
      if (!batch->is_number_unsigned() || batch->get<std::size_t>() == 0)
        fail(ErrorCode::usage, "batch in " + where + " must be a positive count");
      target.batch = batch->get<std::size_t>();
    }
    if (const auto rules = spec.find("rules"); rules != spec.end()) {
      if (!rules->is_array()) fail(ErrorCode::usage, "rules in " + where + " must be a list");
      for (std::size_t i = 0; i < rules->size(); ++i) {
        target.rules.push_back(parse_rule((*rules)[i], where + " rule " + std::to_string(i + 1)));
      }
    }
    if (!spec.contains("columns")) fail(ErrorCode::usage, where + " needs \"columns\" to redact");
  } else {
    fail(ErrorCode::usage, where + " has type '" + target.type + "'",
         "types: file, sqlite, postgres");
  }
  target.detectors = strings_at(spec, "detectors", where);
  if (spec.contains("action") || spec.contains("keep") || spec.contains("replacement")) {
    target.action = parse_action_spec(spec, where);
  }
  if (const auto columns = spec.find("columns"); columns != spec.end()) {
    target.values = parse_values(*columns, where + " column");
  }
  if (const auto fields = spec.find("fields"); fields != spec.end()) {
    if (!target.values.empty()) fail(ErrorCode::usage, where + " has both columns and fields");
    target.values = parse_values(*fields, where + " field");
  }
  return target;
}

std::string now_text() { return util::format_time(util::now()); }

// The redactors and scanners of one target, built once.
struct Prepared {
  FileRedaction files;
  std::vector<std::shared_ptr<const Redactor>> column_redactors;
  std::vector<std::shared_ptr<const Scanner>> column_scanners;
  std::unique_ptr<Database> db;
  std::vector<std::string> columns;
};

DetectorList custom_detectors(const JobSpec& spec) {
  DetectorList out;
  for (const auto& [name, regex] : spec.user_detectors)
    out.push_back(make_regex_detector(name, regex));
  return out;
}

std::shared_ptr<const Scanner> scanner_for(const std::vector<std::string>& names,
                                           const DetectorList& custom) {
  return std::make_shared<const Scanner>(select_detectors(names, custom));
}

void redact_rows(const TargetSpec& target, Prepared& prepared, bool dry_run, RunRecord& record,
                 Stats& stats) {
  auto& db = *prepared.db;
  std::optional<std::string> after;
  std::set<std::string> touched;
  for (;;) {
    if (!dry_run) db.begin();
    try {
      const auto rows =
          db.select(target.table, target.key, prepared.columns, target.rules, after, target.batch);
      for (const auto& row : rows) {
        std::vector<std::string> changed_columns;
        std::vector<Value> changed_values;
        for (std::size_t c = 0; c < prepared.columns.size(); ++c) {
          const auto& value = row.values[c];
          if (!value) continue;
          const auto& redactor = *prepared.column_redactors[c];
          const auto counted = target.table + ":" + prepared.columns[c];
          Value next;
          if (!prepared.column_scanners[c]) {
            if (redactor.is_output(*value)) continue;
            stats.add(std::string(k_whole_value), counted, *value, 3);
            next = redactor.apply(*value);
          } else {
            std::vector<Hit> hits;
            prepared.column_scanners[c]->scan(*value, hits);
            if (hits.empty()) continue;
            std::vector<Edit> edits;
            for (const auto& hit : hits) {
              const auto found = std::string_view(*value).substr(hit.begin, hit.end - hit.begin);
              stats.add(std::string(prepared.column_scanners[c]->detectors()[hit.detector]->name()),
                        counted, found, 3);
              edits.push_back({hit.begin, hit.end, redactor.apply(found).value_or("")});
            }
            std::string out;
            apply_edits(*value, edits, out);
            next = std::move(out);
          }
          if (next == value) continue;
          changed_columns.push_back(prepared.columns[c]);
          changed_values.push_back(std::move(next));
        }
        if (!changed_columns.empty()) {
          ++record.rows_touched;
          if (!dry_run)
            db.update(target.table, target.key, row.key, changed_columns, changed_values);
        }
      }
      if (!dry_run) db.commit();
      if (rows.size() < target.batch) break;
      after = rows.back().key;
    } catch (...) {
      if (!dry_run) db.rollback();
      throw;
    }
  }
}

}  // namespace

bool JobSpec::needs_keys() const {
  for (const auto& target : targets) {
    if (Redactor::needs_keys(target.action.kind)) return true;
    for (const auto& value : target.values) {
      if (Redactor::needs_keys(value.action.kind)) return true;
    }
  }
  return false;
}

JobSpec parse_job(const Json& document, const std::string& base_dir) {
  only_keys(document, {"name", "expect_every", "detectors", "targets", "description"}, "the job");
  JobSpec spec;
  spec.name = string_at(document, "name", "the job");
  if (spec.name.empty())
    fail(ErrorCode::usage, "the job needs a \"name\" (its run records are kept under it)");
  const auto every = string_at(document, "expect_every", "the job");
  if (!every.empty()) spec.expect_every = util::parse_duration(every);
  if (const auto detectors = document.find("detectors"); detectors != document.end()) {
    if (!detectors->is_array())
      fail(ErrorCode::usage, "detectors in the job must be a list of {name, regex}");
    for (const auto& detector : *detectors) {
      only_keys(detector, {"name", "regex"}, "a user detector");
      spec.user_detectors.emplace_back(string_at(detector, "name", "a user detector"),
                                       string_at(detector, "regex", "a user detector"));
    }
  }
  const auto targets = document.find("targets");
  if (targets == document.end() || !targets->is_array() || targets->empty()) {
    fail(ErrorCode::usage, "the job needs a non-empty \"targets\" list");
  }
  for (std::size_t i = 0; i < targets->size(); ++i) {
    spec.targets.push_back(
        parse_target((*targets)[i], "target " + std::to_string(i + 1), base_dir));
  }
  // Detector names and regexes are checked now, before anything is opened.
  const auto custom = custom_detectors(spec);
  for (const auto& target : spec.targets) {
    (void)select_detectors(target.detectors, custom);
    for (const auto& value : target.values) (void)select_detectors(value.detectors, custom);
  }
  (void)Scanner(select_detectors({}, custom));
  return spec;
}

JobSpec load_job(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(ErrorCode::not_found, "cannot read job file " + path);
  std::stringstream text;
  text << in.rdbuf();
  const auto document = Json::parse(text.str(), nullptr, false);
  if (document.is_discarded()) fail(ErrorCode::usage, "job file " + path + " is not valid JSON");
  const auto base = std::filesystem::path(path).parent_path().string();
  try {
    return parse_job(document, base.empty() ? "." : base);
  } catch (const Error& e) {
    fail(e.code(), path + ": " + e.what(), e.hint());
  }
}

JobResult run_job(const JobSpec& spec, const JobEnvironment& env, bool dry_run) {
  const auto started_clock = std::chrono::steady_clock::now();
  JobResult result;
  auto& record = result.record;
  record.job = spec.name;
  record.started = now_text();
  record.expect_every = spec.expect_every;
  const auto custom = custom_detectors(spec);

  // Phase 1: open and check every target; nothing changes yet.
  std::vector<Prepared> prepared(spec.targets.size());
  for (std::size_t t = 0; t < spec.targets.size(); ++t) {
    const auto& target = spec.targets[t];
    auto& p = prepared[t];
    const auto where = "target " + std::to_string(t + 1);
    if (target.type == "file") {
      p.files.scanner = scanner_for(target.detectors, custom);
      p.files.redactor = std::make_shared<const Redactor>(target.action, env.keys);
      for (const auto& value : target.values) {
        p.files.rules.push_back(
            {value.selector,
             value.detectors.empty() ? nullptr : scanner_for(value.detectors, custom),
             std::make_shared<const Redactor>(value.action, env.keys)});
      }
      for (const auto& path : target.paths) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec))
          fail(ErrorCode::not_found, where + ": " + path + " is not a readable file");
        if (::access(path.c_str(), R_OK | W_OK) != 0)
          fail(ErrorCode::usage, where + ": " + path + " is not readable and writable");
        const auto format = parse_input_format(target.format, path);
        if (format == InputFormat::csv && !p.files.rules.empty()) {
          FileRedaction probe = p.files;
          probe.format = format;
          std::ifstream in(path);
          std::string header;
          std::getline(in, header);
          try {
            make_format(probe)->prepare(header + "\n");
          } catch (const Error& e) {
            fail(e.code(), where + ": " + path + ": " + e.what(), e.hint());
          }
        }
      }
      continue;
    }
    if (target.values.empty()) fail(ErrorCode::usage, where + " names no columns");
    try {
      p.db = target.type == "sqlite"
                 ? open_sqlite(target.database)
                 : open_postgres(env.credential(target.credential), env.connect_timeout);
      const auto columns = p.db->columns(target.table);
      const auto require = [&](const std::string& column, const char* role) {
        if (!columns.contains(column)) {
          std::string known;
          for (const auto& name : columns) known += (known.empty() ? "" : ", ") + name;
          fail(ErrorCode::usage,
               "unknown column '" + column + "' (" + role + ") in table " + target.table,
               "the table has: " + known);
        }
      };
      require(target.key, "key");
      for (const auto& rule : target.rules) {
        for (const auto& condition : rule.where) require(condition.column, "condition");
        if (rule.older_than) require(rule.age_column, "age_column");
      }
      for (const auto& value : target.values) {
        require(value.selector, "redacted");
        p.columns.push_back(value.selector);
        p.column_redactors.push_back(std::make_shared<const Redactor>(value.action, env.keys));
        p.column_scanners.push_back(value.detectors.empty() ? nullptr
                                                            : scanner_for(value.detectors, custom));
      }
    } catch (const Error& e) {
      fail(e.code(), where + " (" + target.type + " table " + target.table + "): " + e.what(),
           e.hint());
    }
  }

  // Phase 2: redact.
  if (env.changes_started != nullptr) *env.changes_started = true;
  const auto now = util::now();
  for (std::size_t t = 0; t < spec.targets.size(); ++t) {
    const auto& target = spec.targets[t];
    auto& p = prepared[t];
    record.targets.push_back(target.type);
    if (target.type == "file") {
      for (const auto& path : target.paths) {
        auto redaction = p.files;
        redaction.format = parse_input_format(target.format, path);
        FileIo io;
        io.input = path;
        io.in_place = true;
        io.dry_run = dry_run;
        const auto outcome = process_file(redaction, io);
        if (outcome.changed) ++record.files_touched;
        result.stats.merge(outcome.stats, 3);
      }
      continue;
    }
    auto rules = target.rules;
    for (auto& rule : rules) {
      if (rule.older_than) rule.cutoff = util::format_time(now - *rule.older_than);
    }
    auto with_cutoffs = target;
    with_cutoffs.rules = std::move(rules);
    redact_rows(with_cutoffs, p, dry_run, record, result.stats);
  }

  record.detectors = result.stats.detectors;
  record.columns = result.stats.fields;
  record.items = result.stats.items;
  record.finished = now_text();
  record.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started_clock)
                           .count();
  return result;
}

}  // namespace ward::redact
