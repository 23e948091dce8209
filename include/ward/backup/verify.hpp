#pragma once

#include <string>
#include <vector>

#include "ward/backup/repository.hpp"

namespace ward::backup {

struct VerifyOptions {
  bool read_data = false;  // read every pack and check every chunk
  double read_subset = 0;  // percent of packs to read (0 < P <= 100), chosen at random
  unsigned threads = 0;
};

struct VerifyReport {
  std::uint64_t snapshots = 0;
  std::uint64_t index_objects = 0;
  std::uint64_t packs = 0;
  std::uint64_t blobs = 0;
  std::uint64_t packs_read = 0;
  std::uint64_t blobs_read = 0;
  std::uint64_t bytes_read = 0;
  std::vector<std::string> snapshot_ids;  // the snapshots it covered
  std::vector<std::string> problems;      // damage: verify exits 1
  std::vector<std::string> notes;         // harmless leftovers (packs of an interrupted create)
};

// Structure: every index and snapshot object authenticates, every snapshot's tree loads, every
// chunk a tree names is in the index, every pack the index names exists. With read_data (or a
// subset), the packs are read and every chunk is decrypted, decompressed and its keyed id
// recomputed.
VerifyReport verify_repository(Repository& repository, const VerifyOptions& options);

}  // namespace ward::backup
