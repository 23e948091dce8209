#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ward/audit/log.hpp"
#include "ward/backup/prune.hpp"
#include "ward/check/probe.hpp"
#include "ward/crypto/password.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/policy/policy.hpp"
#include "ward/util/duration.hpp"

// The audit report model (`ward audit report`): what the store holds, judged, section by
// section. Built once by build(); commands render it as Markdown, HTML, JSON or JUnit. It
// never holds a secret value: credentials appear by name, id and metadata, their strength as a
// verdict only.
namespace ward::report {

struct Options {
  util::TimePoint now = util::now();
  std::chrono::seconds since{std::chrono::hours(24 * 30)};   // audit activity window
  std::chrono::seconds window{std::chrono::hours(24 * 14)};  // "due within" for policy items
  std::vector<std::string> namespaces;                       // empty: every namespace
  backup::RetentionPolicy retention{0, 7, 4, 0};             // what backups must keep
  crypto::StrengthPolicy strength;
};

// One line of the findings summary, with the controls it bears on (from data/controls.json).
struct Finding {
  std::string id;       // stable: "credential.rotation.overdue", "tls.protocol.legacy", …
  std::string section;  // credentials | keys | checks | backups | redaction | audit
  check::Severity severity = check::Severity::info;
  std::string ns;
  std::string subject;
  std::string message;
  std::vector<std::string> controls;  // "CC6.1", …
};

struct Credential {
  std::string ns, name, id, type;
  std::string created;                // version 1
  std::string last_rotated;           // when the current secret was written
  std::int64_t age_days = 0;          // since last_rotated
  std::uint32_t current_version = 0;  // 0: revoked
  std::uint32_t latest_version = 0;
  std::size_t revoked_versions = 0;
  std::optional<std::chrono::seconds> rotate_every;
  policy::State rotation = policy::State::ok;
  std::optional<util::TimePoint> due_at;
  std::string strength;  // "ok", "weak", "generated" (CSPRNG, not judged), "revoked"
};

struct KeyVersion {
  std::string ns;
  std::uint32_t version = 0;
  util::TimePoint created;
  std::int64_t age_days = 0;
  bool current = false;
  std::size_t objects = 0;  // objects whose newest generation it wraps
  std::string state;        // "current" | "rewrap pending" | "retirable"
  policy::State rotation = policy::State::ok;
  std::optional<util::TimePoint> due_at;
};

struct CheckResult {
  std::string ns, kind, target, status, checked_at;
  std::map<std::string, std::size_t> findings_by_severity;
  std::vector<check::Finding> findings;
  std::optional<std::string> cert_not_after;
  std::optional<std::int64_t> cert_days_left;
};

struct BackupSource {
  std::string ns, source;
  std::size_t snapshots = 0;
  std::string last_snapshot_id;
  util::TimePoint last_snapshot;
  int daily_kept = 0;   // distinct UTC days with a snapshot among the last retention.daily days
  int weekly_kept = 0;  // distinct ISO weeks among the last retention.weekly weeks
  bool compliant = false;
};

struct BackupVerify {
  std::string ns, time, outcome;  // from the newest backup.verify audit event
  std::uint64_t problems = 0;
  bool read_data = false;
};

// One redaction job, from its run records in the store (counts only, never a value).
struct RedactionJob {
  std::string ns, job;
  std::string last_started;  // RFC 3339
  std::string last_status;   // ok | failed
  std::string last_error;
  std::int64_t last_duration_ms = 0;
  std::uint64_t last_items = 0;
  std::uint64_t runs_in_window = 0;
  std::uint64_t failed_in_window = 0;
  std::uint64_t items_in_window = 0;
  std::map<std::string, std::uint64_t> detectors_in_window;  // detector → items redacted
  std::optional<std::chrono::seconds> expect_every;
  policy::State schedule = policy::State::ok;  // the policy module's verdict; ok if unscheduled
  std::optional<util::TimePoint> due_at;
};

struct Redaction {
  bool run_records_available = false;  // whether this build reads redact/ run records
  std::vector<RedactionJob> jobs;      // by namespace, then job name
  // redact.* audit events in the window, by action (redact.run, redact.scan, …)
  std::map<std::string, std::size_t> events_by_action;
  std::string last_run;  // time of the newest redact.run event, if any
};

struct AuditIntegrity {
  bool verified = false;
  std::uint64_t events = 0;
  std::uint64_t head_seq = 0;
  std::string head_hash;
  std::vector<std::string> problems;
  std::optional<std::string> last_checkpoint;  // the newest signed checkpoint line
  bool checkpoint_matched = false;
  std::uint64_t events_in_window = 0;
  std::string activity_unavailable;  // why activity could not be counted (damaged trail)
  std::map<std::string, std::map<std::string, std::size_t>> actions_by_actor;  // actor → action
  std::map<std::string, std::size_t> events_by_day;                            // YYYY-MM-DD
  std::map<std::string, std::size_t> failures_by_action;
};

struct Report {
  std::string generated_at;
  std::string store_id;
  std::string since;  // RFC 3339 start of the activity window
  std::chrono::seconds window{0};
  std::vector<std::string> namespaces;
  std::vector<std::string> unreadable_namespaces;  // ids whose keys fail authentication
  backup::RetentionPolicy retention;
  std::chrono::seconds kek_max_age{0};

  std::vector<Credential> credentials;
  std::vector<KeyVersion> keys;
  std::vector<CheckResult> checks;
  std::vector<BackupSource> backups;
  std::vector<BackupVerify> backup_verifies;
  Redaction redaction;
  AuditIntegrity audit;
  std::vector<policy::Item> policy_items;             // everything judged, worst first
  std::vector<Finding> findings;                      // worst first
  std::map<std::string, std::string> control_titles;  // "CC6.1" → what the control says
  std::string control_framework;
};

// Reads the store and judges it. Needs the unlocked keyring and the audit log; reads current
// secrets only to judge their strength (the caller audits that as `audit.report`).
Report build(keyring::Keyring& keyring, audit::Log& log, const Options& options);

// The document of `--format json` and `--out URL` (schema ward.audit.report/v1).
nlohmann::json to_json(const Report& report);

// `--out store`: seals the rendered report under the namespace's KEK at
// reports/<ns-id>/<YYYYMMDDTHHMMSSZ>-<random>.<format> (so `key rewrap` covers it and
// destroying the namespace shreds it) and returns that logical path.
std::string save(keyring::Namespace& ns, std::string_view format, const std::string& document,
                 util::TimePoint when = util::now());

// Reports kept by `--out store` in one namespace, oldest first.
struct SavedReport {
  std::string name;    // <YYYYMMDDTHHMMSSZ>-<random>.<format>, unique in the namespace
  std::string time;    // RFC 3339, from the name
  std::string format;  // md | json | html | junit
  std::uint32_t generation = 1;
};
std::vector<SavedReport> list_saved(keyring::Namespace& ns);
// One stored report's document, by name or "latest". Error(not_found) when there is none;
// Error(auth) when the object fails authentication.
std::string load_saved(keyring::Namespace& ns, std::string_view name);

// The control mapping, from data/controls.json (compiled in): the controls a finding id bears
// on, by longest matching prefix.
std::vector<std::string> controls_for(std::string_view finding_id);

}  // namespace ward::report
