#include "ward/backup/repository.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/hash.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"
#include "ward/keyring/generations.hpp"
#include "ward/util/json_integer.hpp"
#include "ward/util/json_string.hpp"

namespace ward::backup {
namespace {

using keyring::ObjectType;

constexpr auto k_lock_stale = std::chrono::minutes(30);
constexpr auto k_lock_refresh = std::chrono::minutes(5);

std::string random_hex(std::size_t bytes) {
  return crypto::hex_encode(crypto::random_bytes(bytes));
}

std::string last_segment(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// Newest generation of `logical` that authenticates, as readers of every small object do.
std::optional<crypto::SecretBytes> open_newest(keyring::Namespace& ns, ObjectType type,
                                               const std::string& logical,
                                               const std::vector<std::uint32_t>& generations,
                                               std::optional<Error>& damage) {
  for (const auto generation : generations) {
    const auto bytes = ns.store().get(keyring::generation_name(logical, generation));
    if (!bytes) continue;
    try {
      return ns.open(type, logical, *bytes);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::auth) throw;
      if (!damage) damage = e;
    }
  }
  return std::nullopt;
}

}  // namespace

PackBuilder::PackBuilder(Buffer storage) : m_data(std::move(storage)) {
  crypto::random_fill(m_index.id);
  m_index.key = crypto::random_secret(32);
  const auto header = pack_header(m_index.id);
  m_data.assign(header.begin(), header.end());
  // A pack ends with the blob that takes it past the target: at most one more maximal chunk.
  m_data.reserve(k_pack_target_size + 4 * 1024 * 1024 + 1024);
}

void PackBuilder::add(const ChunkId& id, BlobKind kind, bool compressed, ByteView payload,
                      std::uint32_t raw_length) {
  BlobEntry entry;
  entry.id = id;
  entry.kind = kind;
  entry.compressed = compressed;
  entry.offset = static_cast<std::uint32_t>(m_data.size());
  entry.length = static_cast<std::uint32_t>(payload.size() + k_blob_overhead);
  entry.raw_length = raw_length;
  seal_blob(m_index.key, m_index.id, entry, payload, m_data);
  m_index.blobs.push_back(entry);
}

std::pair<PackIndex, Buffer> PackBuilder::finish() && {
  m_index.size = m_data.size();
  return {std::move(m_index), std::move(m_data)};
}

Repository::Repository(keyring::Namespace& ns)
    : m_ns(ns),
      m_prefix("backups/" + ns.id() + "/"),
      m_chunk_key(ns.derive_key("ward.backup.chunk-id.v1")),
      m_chunker_seed(ns.derive_key("ward.backup.chunker.v1")) {}

std::string Repository::pack_name(const PackId& id) const {
  const auto hex = to_hex(id);
  return data_prefix() + hex.substr(0, 2) + "/" + hex;
}

void Repository::load_index(std::vector<std::string>* problems) {
  m_packs.clear();
  m_where.clear();
  const auto prefix = index_prefix();
  for (const auto& [logical, generations] : keyring::group_generations(store().list(prefix))) {
    std::optional<Error> damage;
    const auto plaintext =
        open_newest(m_ns, ObjectType::backup_index, logical, generations, damage);
    if (!plaintext) {
      if (!damage) continue;  // removed while listing
      if (problems == nullptr) throw *damage;
      problems->push_back(logical + ": " + damage->what());
      continue;
    }
    std::vector<PackIndex> decoded;
    try {
      decoded = decode_index(plaintext->bytes());
    } catch (const Error& e) {
      if (problems == nullptr) throw;
      problems->push_back(logical + ": " + e.what());
      continue;
    }
    for (auto& pack : decoded) {
      const auto pack_number = static_cast<std::uint32_t>(m_packs.size());
      for (std::uint32_t b = 0; b < pack.blobs.size(); ++b) {
        m_where.try_emplace(pack.blobs[b].id, Location{pack_number, b});
      }
      m_packs.push_back({std::move(pack), logical});
    }
  }
}

std::optional<Repository::Location> Repository::find(const ChunkId& id) const {
  const auto found = m_where.find(id);
  if (found == m_where.end()) return std::nullopt;
  return found->second;
}

std::vector<std::string> Repository::index_object_names(const std::string& logical) {
  std::vector<std::string> names;
  for (const auto& [name, generations] : keyring::group_generations(store().list(index_prefix()))) {
    if (name != logical) continue;
    for (const auto g : generations) names.push_back(keyring::generation_name(name, g));
  }
  return names;
}

crypto::Bytes Repository::seal_index(const std::string& logical, ByteView plaintext) {
  const std::lock_guard lock(m_ns_mutex);
  return m_ns.seal(ObjectType::backup_index, logical, plaintext);
}

void Repository::commit_pack(PackIndex index, ByteView data) {
  const PackIndex* list[] = {&index};
  const auto logical = index_prefix() + random_hex(16);
  const auto plaintext = encode_index(list);
  const auto sealed = seal_index(logical, plaintext.bytes());
  // Store calls from several threads at once: every backend takes them (the SFTP store
  // serialises them on its one session itself).
  if (!store().put_if_absent(pack_name(index.id), data)) {
    fail(ErrorCode::conflict, "pack " + to_hex(index.id) + " already exists");
  }
  if (!store().put_if_absent(keyring::generation_name(logical, 1), sealed)) {
    fail(ErrorCode::conflict, "index object " + logical + " already exists");
  }
  const std::lock_guard lock(m_mutex);
  const auto pack_number = static_cast<std::uint32_t>(m_packs.size());
  for (std::uint32_t b = 0; b < index.blobs.size(); ++b) {
    m_where.try_emplace(index.blobs[b].id, Location{pack_number, b});
  }
  m_packs.push_back({std::move(index), logical});
}

void Repository::commit_packs(std::vector<std::pair<PackIndex, Buffer>> packs) {
  if (packs.empty()) return;
  std::vector<const PackIndex*> list;
  for (auto& [index, data] : packs) {
    if (!store().put_if_absent(pack_name(index.id), data)) {
      fail(ErrorCode::conflict, "pack " + to_hex(index.id) + " already exists");
    }
    data.clear();
    data.shrink_to_fit();
    list.push_back(&index);
  }
  const auto logical = index_prefix() + random_hex(16);
  const auto plaintext = encode_index(list);
  const auto sealed = seal_index(logical, plaintext.bytes());
  if (!store().put_if_absent(keyring::generation_name(logical, 1), sealed)) {
    fail(ErrorCode::conflict, "index object " + logical + " already exists");
  }
  const std::lock_guard lock(m_mutex);
  for (auto& [index, data] : packs) {
    const auto pack_number = static_cast<std::uint32_t>(m_packs.size());
    for (std::uint32_t b = 0; b < index.blobs.size(); ++b) {
      m_where.try_emplace(index.blobs[b].id, Location{pack_number, b});
    }
    m_packs.push_back({std::move(index), logical});
  }
}

Bytes Repository::read_pack(const PackId& id) {
  auto bytes = store().get(pack_name(id));
  if (!bytes) {
    fail(ErrorCode::auth, "pack " + to_hex(id) + " is missing from the store",
         "the backup data was damaged; run `ward backup verify`");
  }
  check_pack_header(*bytes, id);
  return std::move(*bytes);
}

Bytes Repository::read_chunk(const ChunkId& id) {
  const auto at = find(id);
  if (!at) {
    fail(ErrorCode::auth, "chunk " + to_hex(id).substr(0, 16) + " is not in the index",
         "the backup data was damaged; run `ward backup verify`");
  }
  const auto& pack = m_packs[at->pack].index;
  const auto& entry = blob(*at);
  if (!m_cached_pack || m_cached_pack->first != pack.id) {
    m_cached_pack.reset();
    m_cached_pack.emplace(pack.id, read_pack(pack.id));
  }
  const auto& data = m_cached_pack->second;
  if (std::uint64_t{entry.offset} + entry.length > data.size()) {
    fail(ErrorCode::auth, "pack " + to_hex(pack.id) + " is truncated");
  }
  auto payload =
      open_blob(pack.key, pack.id, entry, ByteView(data).subspan(entry.offset, entry.length));
  Decompressor decompressor;
  return decompressor.decode(entry, std::move(payload));
}

std::vector<Snapshot> Repository::snapshots(std::vector<std::string>* problems) {
  std::vector<Snapshot> all;
  const auto prefix = snapshot_prefix();
  for (const auto& [logical, generations] : keyring::group_generations(store().list(prefix))) {
    std::optional<Error> damage;
    const auto plaintext =
        open_newest(m_ns, ObjectType::backup_snapshot, logical, generations, damage);
    if (!plaintext) {
      if (!damage) continue;
      if (problems == nullptr) throw *damage;
      problems->push_back(logical + ": " + damage->what());
      continue;
    }
    try {
      auto snapshot = decode_snapshot(plaintext->bytes());
      if (snapshot.id != last_segment(logical)) {
        fail(ErrorCode::auth, "snapshot object " + logical + " holds another snapshot");
      }
      all.push_back(std::move(snapshot));
    } catch (const Error& e) {
      if (problems == nullptr) throw;
      problems->push_back(logical + ": " + e.what());
    }
  }
  std::stable_sort(all.begin(), all.end(), taken_before);
  return all;
}

const Snapshot& Repository::resolve(std::string_view ref, const std::vector<Snapshot>& all) {
  if (all.empty()) {
    fail(ErrorCode::not_found, "there are no snapshots", "create one with `ward backup create`");
  }
  if (ref == "latest") return all.back();
  if (ref.size() < 4) {
    fail(ErrorCode::usage, "snapshot id '" + std::string(ref) + "' is too short",
         "give at least 4 characters of an id from `ward backup list`, or `latest`");
  }
  const Snapshot* match = nullptr;
  for (const auto& s : all) {
    if (!s.id.starts_with(ref)) continue;
    if (match != nullptr) {
      fail(ErrorCode::usage, "snapshot id '" + std::string(ref) + "' is ambiguous",
           "give more characters of the id");
    }
    match = &s;
  }
  if (match == nullptr) {
    fail(ErrorCode::not_found, "no snapshot '" + std::string(ref) + "'",
         "`ward backup list` shows the snapshots");
  }
  return *match;
}

void Repository::write_snapshot(const Snapshot& snapshot) {
  const auto logical = snapshot_prefix() + snapshot.id;
  const auto sealed = m_ns.seal(ObjectType::backup_snapshot, logical, encode_snapshot(snapshot));
  if (!store().put_if_absent(keyring::generation_name(logical, 1), sealed)) {
    fail(ErrorCode::conflict, "snapshot " + snapshot.id + " already exists");
  }
}

void Repository::remove_snapshot(const std::string& id) {
  const auto logical = snapshot_prefix() + id;
  std::vector<std::string> names;
  for (const auto& [name, generations] :
       keyring::group_generations(store().list(snapshot_prefix()))) {
    if (name != logical) continue;
    for (const auto g : generations) names.push_back(keyring::generation_name(name, g));
  }
  store().remove_batch(names);
}

std::vector<TreeEntry> Repository::load_tree(const Snapshot& snapshot) {
  Bytes plaintext;
  plaintext.reserve(snapshot.tree_size);
  for (const auto& id : snapshot.tree) {
    const auto chunk = read_chunk(id);
    plaintext.insert(plaintext.end(), chunk.begin(), chunk.end());
  }
  if (plaintext.size() != snapshot.tree_size) {
    fail(ErrorCode::auth, "the tree of snapshot " + snapshot.id + " has the wrong size");
  }
  return decode_tree(plaintext);
}

// ---------------------------------------------------------------------------------------------

namespace {

std::string holder_host(const Repository& repository) {
  std::array<char, 256> host{};
  ::gethostname(host.data(), host.size() - 1);
  // A keyed hash: the store learns that two locks come from one host, not which host.
  const auto mac =
      crypto::hmac_sha256(repository.chunk_key().bytes(),
                          crypto::as_bytes(std::string("ward.lock.host\0", 15) + host.data()));
  return crypto::hex_encode(std::span(mac.data(), 8));
}

bool lock_is_stale(const nlohmann::json& lock, const std::string& own_host) {
  try {
    const auto time = util::parse_time(lock.at("time").get<std::string>());
    if (util::now() - time > k_lock_stale) return true;
    if (lock.at("host").get<std::string>() == own_host) {
      const auto pid = util::json_integer<int>(lock.at("pid"));
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) return true;
    }
    return false;
  } catch (const std::exception&) {
    return true;  // not a lock anything could hold
  }
}

}  // namespace

RepositoryLock::RepositoryLock(Repository& repository, Kind kind)
    : m_repository(repository), m_kind(kind), m_holder(holder_host(repository)) {
  auto& store = m_repository.store();
  write_lock();
  try {
    std::vector<std::string> stale;
    for (const auto& name : store.list(m_repository.lock_prefix())) {
      if (name == m_name) continue;
      const auto bytes = store.get(name);
      if (!bytes) continue;
      const auto lock = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
      if (lock_is_stale(lock, m_holder)) {
        stale.push_back(name);
        continue;
      }
      const bool other_exclusive = util::json_string_or(lock, "kind") == "exclusive";
      if (kind == Kind::exclusive || other_exclusive) {
        fail(ErrorCode::conflict,
             std::string(other_exclusive ? "a prune" : "a backup") +
                 " is running on this repository (lock " + last_segment(name) + ")",
             "retry when it has finished; a lock left by a killed process expires after 30 "
             "minutes, or at once on the host that held it");
      }
    }
    if (kind == Kind::exclusive && !stale.empty()) {
      store.remove_batch(stale);
      m_removed_stale = stale.size();
    }
  } catch (...) {
    store.remove(m_name);
    throw;
  }
  m_refresher = std::thread([this] {
    std::unique_lock guard(m_mutex);
    while (!m_wake.wait_for(guard, k_lock_refresh, [this] { return m_stop; })) {
      try {
        const auto old = m_name;
        write_lock();
        m_repository.store().remove(old);
      } catch (const std::exception&) {
        // The next refresh tries again; a lock that cannot be refreshed expires, which only
        // lets a prune in after 30 minutes.
      }
    }
  });
}

RepositoryLock::~RepositoryLock() {
  {
    const std::lock_guard guard(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_refresher.joinable()) m_refresher.join();
  try {
    m_repository.store().remove(m_name);
  } catch (const std::exception&) {
    // A lock that cannot be removed now is stale soon.
  }
}

void RepositoryLock::write_lock() {
  const nlohmann::json lock{{"schema", "ward.backup.lock/v1"},
                            {"kind", m_kind == Kind::exclusive ? "exclusive" : "shared"},
                            {"time", util::format_time(util::now())},
                            {"host", m_holder},
                            {"pid", static_cast<int>(::getpid())}};
  const auto text = lock.dump();
  auto name = m_repository.lock_prefix() + random_hex(16);
  if (!m_repository.store().put_if_absent(name, crypto::as_bytes(text))) {
    fail(ErrorCode::conflict, "lock " + name + " already exists");
  }
  m_name = std::move(name);
}

}  // namespace ward::backup
