#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ward/redact/action.hpp"
#include "ward/redact/format.hpp"
#include "ward/redact/run_record.hpp"
#include "ward/redact/table.hpp"

namespace ward::redact {

// What to do with one column or field: the whole value, or the findings of some detectors.
struct ValueSpec {
  std::string selector;
  ActionSpec action;
  std::vector<std::string> detectors;  // empty: the whole value
};

struct TargetSpec {
  std::string type;  // file | sqlite | postgres
  // file
  std::vector<std::string> paths;
  std::string format = "auto";
  // sqlite / postgres
  std::string database;    // sqlite: the file
  std::string credential;  // postgres: the vault credential's name
  std::string table;
  std::string key;  // default: rowid (sqlite), id (postgres)
  std::vector<RetentionRule> rules;
  std::size_t batch = 500;
  // both: with no columns/fields, files are scanned whole with `detectors` and `action`
  std::vector<std::string> detectors;
  ActionSpec action;
  std::vector<ValueSpec> values;
};

struct JobSpec {
  std::string name;
  std::optional<std::chrono::seconds> expect_every;
  std::vector<std::pair<std::string, std::string>> user_detectors;  // name, regex
  std::vector<TargetSpec> targets;
  [[nodiscard]] bool needs_keys() const;
};

// Parses and checks a job document: unknown keys, bad durations, actions, detectors, regexes
// and conditions are Error(usage) naming the offending place. Paths are resolved against
// `base_dir` (the job file's directory).
JobSpec parse_job(const nlohmann::json& document, const std::string& base_dir);
JobSpec load_job(const std::string& path);

// What the job needs from the store, given by the command layer.
struct JobEnvironment {
  ActionKeys keys;
  // The postgres credential of a name (throws Error(not_found) when missing).
  std::function<vault::CredentialVersion(const std::string& name)> credential;
  std::chrono::seconds connect_timeout{10};
  // Set to true once every target has been checked and the first one is being changed: an
  // error before that changed nothing (and is not a failed run).
  bool* changes_started = nullptr;
};

struct JobResult {
  RunRecord record;
  Stats stats;  // detectors and columns with masked samples (for --dry-run output)
};

// Runs a job: every target is opened and checked first (files readable, CSV headers, tables
// and columns exist, databases reachable), then changed. Files are replaced atomically;
// table rows are updated in batched transactions with keyset pagination. Running the job again
// changes nothing (values already redacted are recognised and skipped).
JobResult run_job(const JobSpec& spec, const JobEnvironment& env, bool dry_run);

}  // namespace ward::redact
