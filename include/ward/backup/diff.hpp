#pragma once

#include <string>
#include <vector>

#include "ward/backup/repository.hpp"

namespace ward::backup {

enum class Change : char {
  added = '+',
  removed = '-',
  modified = 'M',  // content differs
  type = 'T',      // file became a directory, a symlink…
  metadata = 'U',  // same content, other mode, owner or time
};

struct DiffEntry {
  Change change = Change::modified;
  std::string path;
};

struct DiffReport {
  Snapshot from;
  Snapshot to;
  std::vector<DiffEntry> changes;  // in path order
  std::uint64_t added = 0;
  std::uint64_t removed = 0;
  std::uint64_t modified = 0;
  std::uint64_t metadata = 0;
};

// What changed from snapshot `from` to snapshot `to` (ids, prefixes or `latest`).
DiffReport diff_snapshots(Repository& repository, const std::string& from, const std::string& to);

}  // namespace ward::backup
