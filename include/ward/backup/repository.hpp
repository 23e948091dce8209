#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ward/backup/format.hpp"
#include "ward/keyring/keyring.hpp"

namespace ward::backup {

inline constexpr std::size_t k_pack_target_size = 16 * 1024 * 1024;

// A pack being filled: a fresh id and data key, sealed blobs appended as they come.
class PackBuilder {
 public:
  // `storage` is a buffer to fill again (a stored pack's): its pages are already mapped.
  explicit PackBuilder(Buffer storage = {});
  void add(const ChunkId& id, BlobKind kind, bool compressed, ByteView payload,
           std::uint32_t raw_length);
  [[nodiscard]] std::size_t size() const { return m_data.size(); }
  [[nodiscard]] bool empty() const { return m_index.blobs.empty(); }
  [[nodiscard]] const PackIndex& index() const { return m_index; }
  // Hands over the finished pack (index with its size set, and the bytes).
  std::pair<PackIndex, Buffer> finish() &&;

 private:
  PackIndex m_index;
  Buffer m_data;
};

// One namespace's backup repository inside the store:
//   backups/<ns-id>/data/<xx>/<pack-id>           packs (not envelopes; keys live in the index)
//   backups/<ns-id>/index/<index-id>.gN           KEK-wrapped index objects (pack keys, chunks)
//   backups/<ns-id>/snapshots/<snapshot-id>.gN    KEK-wrapped snapshots
//   backups/<ns-id>/locks/<lock-id>               plaintext lock objects (kind, time, holder)
class Repository {
 public:
  explicit Repository(keyring::Namespace& ns);

  [[nodiscard]] store::ObjectStore& store() { return m_ns.store(); }
  [[nodiscard]] keyring::Namespace& ns() { return m_ns; }
  [[nodiscard]] const crypto::SecretBytes& chunk_key() const { return m_chunk_key; }
  [[nodiscard]] const crypto::SecretBytes& chunker_seed() const { return m_chunker_seed; }
  [[nodiscard]] std::string prefix() const { return m_prefix; }
  [[nodiscard]] std::string data_prefix() const { return m_prefix + "data/"; }
  [[nodiscard]] std::string index_prefix() const { return m_prefix + "index/"; }
  [[nodiscard]] std::string snapshot_prefix() const { return m_prefix + "snapshots/"; }
  [[nodiscard]] std::string lock_prefix() const { return m_prefix + "locks/"; }
  [[nodiscard]] std::string pack_name(const PackId& id) const;

  // --- index ------------------------------------------------------------------------------
  struct LoadedPack {
    PackIndex index;
    std::string index_logical;  // the index object that lists it
  };
  struct Location {
    std::uint32_t pack = 0;  // into packs()
    std::uint32_t blob = 0;  // into packs()[pack].index.blobs
  };
  // Reads every index object. An object that fails authentication throws Error(auth), or is
  // added to `problems` when given.
  void load_index(std::vector<std::string>* problems = nullptr);
  [[nodiscard]] const std::vector<LoadedPack>& packs() const { return m_packs; }
  [[nodiscard]] std::optional<Location> find(const ChunkId& id) const;
  [[nodiscard]] const BlobEntry& blob(const Location& at) const {
    return m_packs[at.pack].index.blobs[at.blob];
  }
  // Index object logical path → the generation names it has in the store.
  [[nodiscard]] std::vector<std::string> index_object_names(const std::string& logical);

  // Writes the pack, then the index object that lists it (the commit point: a pack without an
  // index object is left over from an interrupted run, and prune removes it). Thread-safe; adds
  // the pack to the in-memory index.
  void commit_pack(PackIndex index, ByteView data);
  // Writes one index object listing several packs already stored (prune's repacking).
  void commit_packs(std::vector<std::pair<PackIndex, Buffer>> packs);

  // --- data -------------------------------------------------------------------------------
  // The pack's bytes, header checked; Error(auth) when missing or not the pack it should be.
  Bytes read_pack(const PackId& id);
  // One chunk's plaintext, read from its pack (Error(auth) when missing or tampered).
  Bytes read_chunk(const ChunkId& id);

  // --- snapshots ----------------------------------------------------------------------------
  // Every snapshot, oldest first. Unreadable ones throw Error(auth), or go to `problems`.
  std::vector<Snapshot> snapshots(std::vector<std::string>* problems = nullptr);
  // A full id, a unique prefix of at least 4 characters, or `latest`.
  static const Snapshot& resolve(std::string_view ref, const std::vector<Snapshot>& all);
  void write_snapshot(const Snapshot& snapshot);
  void remove_snapshot(const std::string& id);
  std::vector<TreeEntry> load_tree(const Snapshot& snapshot);

 private:
  // Seals an index object; safe from several threads (the uploaders commit packs at once).
  crypto::Bytes seal_index(const std::string& logical, ByteView plaintext);
  keyring::Namespace& m_ns;
  std::string m_prefix;
  crypto::SecretBytes m_chunk_key;
  crypto::SecretBytes m_chunker_seed;
  std::mutex m_mutex;
  // Namespace caches keys as it first uses them and is not safe to call from several threads;
  // the uploaders of a create seal their index objects at once.
  std::mutex m_ns_mutex;
  std::vector<LoadedPack> m_packs;
  std::unordered_map<ChunkId, Location, ChunkIdHash> m_where;
  std::optional<std::pair<PackId, Bytes>> m_cached_pack;
};

// Lock objects keep prune from removing data that a running create is about to reference:
// creates hold shared locks, prune an exclusive one. A lock is refreshed while held; one not
// refreshed for k_lock_stale, or whose holder on this host is gone, is stale.
class RepositoryLock {
 public:
  enum class Kind { shared, exclusive };
  // Throws Error(conflict) when an incompatible live lock is held.
  RepositoryLock(Repository& repository, Kind kind);
  ~RepositoryLock();
  RepositoryLock(const RepositoryLock&) = delete;
  RepositoryLock& operator=(const RepositoryLock&) = delete;
  // Stale locks removed while acquiring (exclusive only).
  [[nodiscard]] std::size_t removed_stale() const { return m_removed_stale; }

 private:
  void write_lock();
  Repository& m_repository;
  Kind m_kind;
  std::string m_holder;
  std::string m_name;
  std::size_t m_removed_stale = 0;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  std::thread m_refresher;
};

}  // namespace ward::backup
