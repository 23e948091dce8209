#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ward/backup/repository.hpp"
#include "ward/backup/verify.hpp"

// Named backup sources and their schedules, and the results of `backup verify`, kept as small
// KEK-wrapped records in the store itself. They live in the store rather than only in a config
// file because the machine that judges them (`ward status` in CI, `audit report`) is usually not
// the machine that backs up: every reader of the store sees the same schedule.
namespace ward::backup {

// A source's schedule record: backups/<ns>/sources/<source-id>/v<version>.gN, where the
// source id is a keyed hash of the name (the store never sees names).
struct SourceRecord {
  std::string name;
  std::optional<std::chrono::seconds> expect_every;  // none: no schedule (never planned)
  std::uint32_t version = 0;
  util::TimePoint updated;
};

// One `backup verify` run: backups/<ns>/verifications/<time>-<random>.gN. The newest ten are
// kept.
struct VerificationRecord {
  util::TimePoint time;
  bool ok = false;
  bool read_data = false;
  double read_subset = 0;  // percent of packs read; 100 with read_data
  std::uint64_t problems = 0;
  std::uint64_t packs_read = 0;
  std::vector<std::string> snapshots;  // ids of the snapshots it covered
};

// The store-side id of a source name (a keyed hash, as credential ids are).
std::string source_id(Repository& repository, const std::string& name);

// The newest record of `name`, if any.
std::optional<SourceRecord> read_source(Repository& repository, const std::string& name);
// Every source record, by name.
std::vector<SourceRecord> read_sources(Repository& repository);
// Writes the next version of the source's record (the schedule, or none to clear it) and
// returns it. Two writers racing for one version: the loser gets Error(conflict).
SourceRecord write_source(Repository& repository, const std::string& name,
                          std::optional<std::chrono::seconds> expect_every);

// Records a verify run over `snapshot_ids`; keeps the newest ten records.
VerificationRecord record_verification(Repository& repository, const VerifyOptions& options,
                                       const VerifyReport& report,
                                       std::vector<std::string> snapshot_ids);
// Newest first.
std::vector<VerificationRecord> read_verifications(Repository& repository);

enum class ScheduleState {
  unscheduled,  // no expect_every: nothing to judge
  ok,           // the latest snapshot is younger than expect_every
  overdue,      // older, or a scheduled source that never had a snapshot
};
enum class VerifyState {
  verified,    // the latest successful verify covered the latest snapshot
  unverified,  // no verify has covered it yet
  failed,      // the latest verify that covered it found problems
};

struct SourceStatus {
  std::string name;
  std::optional<std::chrono::seconds> expect_every;
  std::optional<util::TimePoint> schedule_set;  // when the schedule was last written
  std::uint64_t snapshots = 0;
  std::optional<Snapshot> latest;
  std::optional<util::TimePoint> due_at;  // latest + expect_every (or schedule_set + it)
  ScheduleState schedule = ScheduleState::unscheduled;
  VerifyState verify = VerifyState::unverified;
  std::optional<VerificationRecord> last_verify;  // the newest one that covered `latest`
};

struct SourcesReport {
  std::vector<SourceStatus> sources;              // by name
  std::optional<VerificationRecord> last_verify;  // the newest verify of the repository
};

// Every source that has snapshots or a record, with its schedule, latest snapshot and verify
// state as of `now`.
SourcesReport list_sources(Repository& repository, util::TimePoint now = util::now());

[[nodiscard]] const char* to_string(ScheduleState state);
[[nodiscard]] const char* to_string(VerifyState state);

}  // namespace ward::backup
