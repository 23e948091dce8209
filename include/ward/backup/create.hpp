#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ward/backup/repository.hpp"
#include "ward/util/progress.hpp"

namespace ward::backup {

struct CreateOptions {
  std::vector<std::string> paths;
  bool use_stdin = false;
  int stdin_fd = 0;
  std::string stdin_name;    // the file name stdin or the command's output is stored under
  std::string from_command;  // run with /bin/sh -c; its standard output is backed up
  std::vector<std::string> tags;
  std::vector<std::string> excludes;  // fnmatch globs; without '/', matched against base names
  std::optional<util::TimePoint> time;
  std::string source;    // default: host and paths
  unsigned threads = 0;  // compress/encrypt workers; 0: one per core
  // Advanced as files are read (bytes include unchanged files taken over from the parent);
  // the totals come from a quick scan of the paths that runs beside the backup.
  util::Progress* progress = nullptr;
};

struct CreateResult {
  Snapshot snapshot;
  std::vector<std::string> warnings;  // files that could not be read (local paths: not stored)
  std::uint64_t packs = 0;            // packs written
  std::string parent;                 // the snapshot whose unchanged files were taken over
};

// Reads the sources, chunks them (reader), hashes, compresses and seals chunks (one worker per
// core) and uploads full packs (uploader), with bounded queues between the stages; then stores
// the tree and writes the snapshot. Holds a shared repository lock throughout.
CreateResult create_snapshot(Repository& repository, const CreateOptions& options);

// A snapshot's default source name: host plus the paths (or the stdin name).
std::string default_source(const CreateOptions& options);

}  // namespace ward::backup
