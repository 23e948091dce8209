#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ward/keyring/keyring.hpp"

namespace ward::redact {

// What one redaction job run did: counts only, never a redacted value. Stored encrypted under
// the namespace KEK (so `key rewrap` covers it) at
//
//   redact/<ns-id>/<job-id>/<YYYYMMDDTHHMMSSZ>-<random>.g<generation>
//
// where job-id is the namespace's keyed hash of "redact-job:<name>": the store never sees a
// job's name, paths or table names. Names sort by time; the newest k_kept_runs per job are kept.
struct RunRecord {
  std::string job;       // the job's name (from its spec)
  std::string started;   // RFC 3339 UTC
  std::string finished;  // RFC 3339 UTC
  std::int64_t duration_ms = 0;
  std::string status = "ok";                         // ok | failed
  std::string error;                                 // the error message when failed
  std::optional<std::chrono::seconds> expect_every;  // the job's schedule, if it has one
  std::map<std::string, std::uint64_t> detectors;    // detector → items redacted
  std::map<std::string, std::uint64_t> columns;      // "target:column/field" → values redacted
  std::uint64_t rows_touched = 0;
  std::uint64_t files_touched = 0;
  std::uint64_t items = 0;           // total values redacted
  std::vector<std::string> targets;  // "file", "csv", "sqlite", "postgres" … one per target
};

nlohmann::json to_json(const RunRecord& record);
RunRecord run_record_from_json(const nlohmann::json& document);  // throws Error(auth)

class RunStore {
 public:
  static constexpr std::size_t k_kept_runs = 50;

  explicit RunStore(keyring::Namespace& ns);

  // Writes the record; removes the oldest ones beyond k_kept_runs for its job. Returns the
  // logical path written.
  std::string save(const RunRecord& record);
  // Every stored run of one job, oldest first.
  std::vector<RunRecord> runs(std::string_view job);
  // The newest run of every job that has one, ordered by job name.
  std::vector<RunRecord> latest_all();
  // One stored record by its logical path and generation.
  RunRecord load(const std::string& logical, std::uint32_t generation);

 private:
  [[nodiscard]] std::string job_prefix(std::string_view job) const;

  keyring::Namespace& m_ns;
};

struct ListRunsOptions {
  std::optional<std::string> job;  // only this job's runs
  bool latest_only = false;        // the newest run per job
};

// For reports and policy: the namespace's run records (oldest first per job, jobs by name).
std::vector<RunRecord> list_runs(keyring::Namespace& ns, const ListRunsOptions& options = {});

}  // namespace ward::redact
