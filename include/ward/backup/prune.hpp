#pragma once

#include <string>
#include <vector>

#include "ward/backup/repository.hpp"

namespace ward::backup {

// restic's retention policy: within each source, a snapshot is kept if any rule keeps it. A
// rule with count n walks the snapshots newest first and keeps the newest snapshot of each of
// the n most recent periods (day, ISO week, month, all in UTC) that have one; `last` keeps the
// n newest snapshots.
struct RetentionPolicy {
  int last = 0;
  int daily = 0;
  int weekly = 0;
  int monthly = 0;
  [[nodiscard]] bool empty() const {
    return last <= 0 && daily <= 0 && weekly <= 0 && monthly <= 0;
  }
};

struct SnapshotDecision {
  Snapshot snapshot;
  bool keep = false;
  std::vector<std::string> reasons;  // "last", "daily", "weekly", "monthly"
};

// Decisions for every snapshot, oldest first.
std::vector<SnapshotDecision> apply_policy(const std::vector<Snapshot>& snapshots,
                                           const RetentionPolicy& policy);

struct PruneOptions {
  RetentionPolicy policy;
  bool dry_run = false;
  // A pack whose unused share is at least this is repacked; below it, it is kept as it is.
  double repack_threshold = 0.10;
};

struct PruneReport {
  std::vector<SnapshotDecision> decisions;
  std::uint64_t snapshots_removed = 0;
  std::uint64_t packs_removed = 0;   // packs no kept snapshot uses
  std::uint64_t packs_repacked = 0;  // partly used packs rewritten
  std::uint64_t packs_written = 0;   // new packs from repacking
  std::uint64_t orphan_packs = 0;    // packs without an index object (interrupted creates)
  std::uint64_t chunks_removed = 0;
  std::uint64_t bytes_removed = 0;  // pack bytes deleted
  std::uint64_t bytes_written = 0;  // pack bytes written by repacking
  std::uint64_t stale_locks = 0;
};

// Applies the policy, removes the snapshots it does not keep, then the data no kept snapshot
// references: unused packs are deleted, partly used ones repacked. Holds the exclusive lock, so
// no create runs meanwhile. Order (each step safe to interrupt): snapshots, new packs and their
// index objects, old index objects, old packs.
PruneReport prune(Repository& repository, const PruneOptions& options);

}  // namespace ward::backup
