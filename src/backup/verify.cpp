#include "ward/backup/verify.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include "ward/crypto/random.hpp"
#include "ward/error.hpp"

namespace ward::backup {

VerifyReport verify_repository(Repository& repository, const VerifyOptions& options) {
  VerifyReport report;
  auto& store = repository.store();
  repository.load_index(&report.problems);
  const auto& packs = repository.packs();
  std::set<std::string> index_objects;
  for (const auto& pack : packs) index_objects.insert(pack.index_logical);
  report.index_objects = index_objects.size();
  report.packs = packs.size();

  // Packs named by the index must exist; packs no index names are leftovers.
  std::set<std::string> stored;
  for (const auto& name : store.list(repository.data_prefix())) stored.insert(name);
  std::set<std::string> indexed;
  for (const auto& pack : packs) {
    const auto name = repository.pack_name(pack.index.id);
    indexed.insert(name);
    report.blobs += pack.index.blobs.size();
    if (!stored.contains(name)) report.problems.push_back(name + ": pack is missing");
  }
  std::size_t orphans = 0;
  for (const auto& name : stored) {
    if (!indexed.contains(name)) ++orphans;
  }
  if (orphans > 0) {
    report.notes.push_back(std::to_string(orphans) +
                           " pack(s) without an index object (left by an interrupted create; "
                           "`ward backup prune` removes them)");
  }

  // Snapshots, their trees, and the chunks they name.
  const auto snapshots = repository.snapshots(&report.problems);
  report.snapshots = snapshots.size();
  for (const auto& snapshot : snapshots) report.snapshot_ids.push_back(snapshot.id);
  std::unordered_set<ChunkId, ChunkIdHash> missing_reported;
  for (const auto& snapshot : snapshots) {
    std::vector<TreeEntry> tree;
    try {
      tree = repository.load_tree(snapshot);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::auth) throw;
      report.problems.push_back("snapshot " + snapshot.id + ": tree unreadable: " + e.what());
      continue;
    }
    std::size_t missing = 0;
    for (const auto& entry : tree) {
      for (const auto& id : entry.chunks) {
        if (!repository.find(id) && missing_reported.insert(id).second) ++missing;
      }
    }
    if (missing > 0) {
      report.problems.push_back("snapshot " + snapshot.id + ": " + std::to_string(missing) +
                                " chunk(s) missing from the index");
    }
  }

  if (!options.read_data && options.read_subset <= 0) return report;

  // Which packs to read: all, or a random subset of the requested share (at least one).
  std::vector<std::size_t> chosen(packs.size());
  for (std::size_t i = 0; i < chosen.size(); ++i) chosen[i] = i;
  if (!options.read_data && options.read_subset < 100 && !chosen.empty()) {
    const auto want = std::max<std::size_t>(
        1, static_cast<std::size_t>(
               std::ceil(static_cast<double>(chosen.size()) * options.read_subset / 100.0)));
    for (std::size_t i = 0; i < want; ++i) {
      const auto j = i + crypto::random_below(static_cast<std::uint32_t>(chosen.size() - i));
      std::swap(chosen[i], chosen[j]);
    }
    chosen.resize(want);
  }

  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  const auto work = [&] {
    try {
      Decompressor decompressor;
      Buffer opened;  // reused for every chunk this thread checks
      Buffer decoded;
      for (;;) {
        const auto i = next.fetch_add(1);
        if (i >= chosen.size()) return;
        const auto& pack = packs[chosen[i]].index;
        const auto name = repository.pack_name(pack.id);
        std::vector<std::string> found;
        std::uint64_t blobs = 0;
        std::uint64_t bytes = 0;
        const auto data = store.get(name);
        if (!data) {
          found.push_back(name + ": pack is missing");
        } else {
          bytes = data->size();
          try {
            check_pack_header(*data, pack.id);
            if (data->size() != pack.size) {
              found.push_back(name + ": pack has " + std::to_string(data->size()) +
                              " bytes, the index says " + std::to_string(pack.size));
            }
          } catch (const Error& e) {
            if (e.code() != ErrorCode::auth) throw;
            found.push_back(name + ": " + e.what());
          }
          for (const auto& blob : pack.blobs) {
            ++blobs;
            try {
              if (std::uint64_t{blob.offset} + blob.length > data->size()) {
                fail(ErrorCode::auth, "chunk lies beyond the end of the pack");
              }
              open_blob(pack.key, pack.id, blob, ByteView(*data).subspan(blob.offset, blob.length),
                        opened);
              const auto plain = decompressor.decode(blob, opened, decoded);
              if (chunk_id(repository.chunk_key(), plain) != blob.id) {
                fail(ErrorCode::auth, "chunk content does not match its id");
              }
            } catch (const Error& e) {
              if (e.code() != ErrorCode::auth) throw;
              found.push_back(name + ": chunk " + to_hex(blob.id).substr(0, 16) + ": " + e.what());
            }
          }
        }
        const std::lock_guard lock(mutex);
        ++report.packs_read;
        report.blobs_read += blobs;
        report.bytes_read += bytes;
        report.problems.insert(report.problems.end(), found.begin(), found.end());
      }
    } catch (...) {
      const std::lock_guard lock(mutex);
      if (!error) error = std::current_exception();
    }
  };
  const unsigned threads =
      options.threads > 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back(work);
  work();
  for (auto& w : workers) w.join();
  if (error) std::rethrow_exception(error);
  return report;
}

}  // namespace ward::backup
