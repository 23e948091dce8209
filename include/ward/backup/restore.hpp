#pragma once

#include <string>
#include <vector>

#include "ward/backup/repository.hpp"
#include "ward/util/progress.hpp"

namespace ward::backup {

struct RestoreOptions {
  std::string snapshot;                // id, prefix or `latest`
  std::string target;                  // directory to restore into (created if missing)
  std::vector<std::string> includes;   // restore only these paths (and what is below them)
  bool overwrite = false;              // replace existing files instead of refusing
  unsigned threads = 0;                // 0: one per core, and two more
  util::Progress* progress = nullptr;  // advanced as chunks are written; totals set up front
};

struct RestoreResult {
  Snapshot snapshot;
  std::uint64_t files = 0;
  std::uint64_t directories = 0;
  std::uint64_t symlinks = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> warnings;  // metadata that could not be applied (owners, times)
};

// Restores a snapshot (or the included paths of it) below `target`, with modes, times,
// symlinks and, when run as root, owners. Checks every target path before writing anything:
// without `overwrite`, an existing file is a conflict (Error(conflict)) and nothing is written.
// Data is read pack by pack, each pack once, by parallel workers; a chunk that fails
// authentication stops the restore with Error(auth).
RestoreResult restore_snapshot(Repository& repository, const RestoreOptions& options);

// The entries of `tree` selected by `includes` (all when empty); an include names a path as
// stored (leading '/' optional) and selects it and everything below it.
std::vector<const TreeEntry*> select_entries(const std::vector<TreeEntry>& tree,
                                             const std::vector<std::string>& includes);

}  // namespace ward::backup
