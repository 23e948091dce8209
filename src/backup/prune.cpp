#include "ward/backup/prune.hpp"

#include <time.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "ward/error.hpp"
#include "ward/keyring/generations.hpp"

namespace ward::backup {
namespace {

struct Rule {
  const char* name;
  int count;
  long (*bucket)(const std::tm& t, std::size_t nr);
  std::optional<long> last;
};

std::tm utc(util::TimePoint t) {
  const auto seconds = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm out{};
  ::gmtime_r(&seconds, &out);
  return out;
}

long iso_week(const std::tm& t) {
  std::array<char, 16> text{};
  std::strftime(text.data(), text.size(), "%G%V", &t);
  return std::strtol(text.data(), nullptr, 10);
}

}  // namespace

std::vector<SnapshotDecision> apply_policy(const std::vector<Snapshot>& snapshots,
                                           const RetentionPolicy& policy) {
  std::vector<SnapshotDecision> decisions;
  for (const auto& s : snapshots) decisions.push_back({s, false, {}});
  std::map<std::string, std::vector<std::size_t>> groups;  // source → indices, newest first
  for (std::size_t i = decisions.size(); i-- > 0;)
    groups[decisions[i].snapshot.source].push_back(i);
  for (auto& [source, members] : groups) {
    std::stable_sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) {
      return taken_before(decisions[b].snapshot, decisions[a].snapshot);
    });
    std::vector<Rule> rules = {
        {"last",
         policy.last,
         [](const std::tm&, std::size_t nr) { return static_cast<long>(nr); },
         {}},
        {"daily",
         policy.daily,
         [](const std::tm& t, std::size_t) {
           return static_cast<long>((t.tm_year + 1900) * 10000 + (t.tm_mon + 1) * 100 + t.tm_mday);
         },
         {}},
        {"weekly", policy.weekly, [](const std::tm& t, std::size_t) { return iso_week(t); }, {}},
        {"monthly",
         policy.monthly,
         [](const std::tm& t, std::size_t) {
           return static_cast<long>((t.tm_year + 1900) * 100 + t.tm_mon + 1);
         },
         {}},
    };
    for (std::size_t nr = 0; nr < members.size(); ++nr) {
      auto& decision = decisions[members[nr]];
      const auto t = utc(decision.snapshot.time);
      for (auto& rule : rules) {
        if (rule.count <= 0) continue;
        const auto value = rule.bucket(t, nr);
        if (rule.last && *rule.last == value) continue;
        decision.keep = true;
        decision.reasons.emplace_back(rule.name);
        rule.last = value;
        --rule.count;
      }
    }
  }
  return decisions;
}

PruneReport prune(Repository& repository, const PruneOptions& options) {
  if (options.policy.empty()) {
    fail(ErrorCode::usage, "no retention policy given",
         "give at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly");
  }
  PruneReport report;
  std::optional<RepositoryLock> lock;
  if (!options.dry_run) {
    lock.emplace(repository, RepositoryLock::Kind::exclusive);
    report.stale_locks = lock->removed_stale();
  }
  auto& store = repository.store();
  repository.load_index();
  const auto snapshots = repository.snapshots();
  report.decisions = apply_policy(snapshots, options.policy);

  // What the kept snapshots use. A tree that cannot be read stops the prune: data is only
  // removed when everything that might reference it is known.
  std::unordered_set<ChunkId, ChunkIdHash> used;
  for (const auto& decision : report.decisions) {
    if (!decision.keep) {
      ++report.snapshots_removed;
      continue;
    }
    for (const auto& id : decision.snapshot.tree) used.insert(id);
    for (const auto& entry : repository.load_tree(decision.snapshot)) {
      for (const auto& id : entry.chunks) used.insert(id);
    }
  }

  // Per pack: which of its blobs are the copy the index resolves to and still used.
  const auto& packs = repository.packs();
  std::vector<std::vector<std::uint32_t>> keep_blobs(packs.size());
  enum class Fate { keep, remove, repack };
  std::vector<Fate> fate(packs.size(), Fate::keep);
  std::map<std::string, std::vector<std::size_t>> by_index_object;
  for (std::size_t p = 0; p < packs.size(); ++p) {
    const auto& pack = packs[p].index;
    by_index_object[packs[p].index_logical].push_back(p);
    std::uint64_t used_bytes = 0;
    for (std::uint32_t b = 0; b < pack.blobs.size(); ++b) {
      const auto& blob = pack.blobs[b];
      const auto at = repository.find(blob.id);
      if (used.contains(blob.id) && at && at->pack == p && at->blob == b) {
        keep_blobs[p].push_back(b);
        used_bytes += blob.length;
      }
    }
    const auto payload = pack.size - k_pack_header_size;
    if (keep_blobs[p].empty()) {
      fate[p] = Fate::remove;
    } else if (payload > 0 &&
               static_cast<double>(payload - used_bytes) / static_cast<double>(payload) >=
                   options.repack_threshold) {
      fate[p] = Fate::repack;
    }
  }
  // An index object goes only with all of its packs; a pack listed beside a kept one stays.
  for (const auto& [logical, members] : by_index_object) {
    const bool any_kept = std::any_of(members.begin(), members.end(),
                                      [&](std::size_t p) { return fate[p] == Fate::keep; });
    if (any_kept) {
      for (const auto p : members) fate[p] = Fate::keep;
    }
  }

  std::set<std::string> indexed;
  for (const auto& pack : packs) indexed.insert(repository.pack_name(pack.index.id));
  std::vector<std::string> orphans;
  for (const auto& name : store.list(repository.data_prefix())) {
    if (!indexed.contains(name)) orphans.push_back(name);
  }
  report.orphan_packs = orphans.size();

  for (std::size_t p = 0; p < packs.size(); ++p) {
    const auto& pack = packs[p].index;
    if (fate[p] == Fate::keep) continue;
    report.bytes_removed += pack.size;
    report.chunks_removed += pack.blobs.size() - keep_blobs[p].size();
    if (fate[p] == Fate::remove) ++report.packs_removed;
    if (fate[p] == Fate::repack) ++report.packs_repacked;
  }
  if (options.dry_run) return report;

  // 1. Snapshots the policy does not keep.
  for (const auto& decision : report.decisions) {
    if (!decision.keep) repository.remove_snapshot(decision.snapshot.id);
  }

  // 2. Used chunks of repacked packs move to new packs (compressed payloads are kept as they
  //    are, sealed again under the new pack's key), committed with their index objects.
  std::optional<PackBuilder> builder;
  std::vector<std::pair<PackIndex, Bytes>> finished;
  const auto flush = [&] {
    if (!builder || builder->empty()) return;
    auto [index, data] = std::move(*builder).finish();
    report.bytes_written += data.size();
    ++report.packs_written;
    repository.commit_pack(std::move(index), data);
    builder.reset();
  };
  // commit_pack appends to packs(); remember how many there were.
  const auto old_count = packs.size();
  for (std::size_t p = 0; p < old_count; ++p) {
    if (fate[p] != Fate::repack) continue;
    const auto pack_id = repository.packs()[p].index.id;
    const auto data = repository.read_pack(pack_id);
    for (const auto b : keep_blobs[p]) {
      const auto& pack = repository.packs()[p].index;
      const auto blob = pack.blobs[b];
      if (std::uint64_t{blob.offset} + blob.length > data.size()) {
        fail(ErrorCode::auth, "pack " + to_hex(pack.id) + " is truncated",
             "run `ward backup verify --read-data`");
      }
      const auto payload =
          open_blob(pack.key, pack.id, blob, ByteView(data).subspan(blob.offset, blob.length));
      if (!builder) builder.emplace();
      builder->add(blob.id, blob.kind, blob.compressed, payload, blob.raw_length);
      if (builder->size() >= k_pack_target_size) flush();
    }
  }
  flush();

  // 3. Index objects of removed and repacked packs, then 4. the packs themselves.
  std::vector<std::string> doomed_index;
  std::vector<std::string> doomed_packs;
  for (const auto& [logical, members] : by_index_object) {
    if (fate[members.front()] == Fate::keep) continue;
    const auto names = repository.index_object_names(logical);
    doomed_index.insert(doomed_index.end(), names.begin(), names.end());
    for (const auto p : members)
      doomed_packs.push_back(repository.pack_name(repository.packs()[p].index.id));
  }
  store.remove_batch(doomed_index);
  store.remove_batch(doomed_packs);
  store.remove_batch(orphans);
  return report;
}

}  // namespace ward::backup
