#include "ward/store/suffix_put_store.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"

namespace ward::store {
namespace {

using SystemClock = std::chrono::system_clock;
using Entries = std::map<std::string, ObjectStore::ListEntry>;  // by physical name, sorted

// Listings a batch read runs side by side (remote backends answer each after a round trip).
constexpr std::size_t k_parallel_listings = 8;
// Objects at least this large are put from the caller's bytes instead of a copy in a batch.
constexpr std::size_t k_copied_put_limit = 8UL * 1024 * 1024;

std::string parent_prefix(const std::string& name) {
  const auto slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash + 1);
}

// `<20-digit nanoseconds><12 hex>-<size>`: the time orders the candidates, the random bits
// break ties, and the size lets a listing tell a complete candidate from a partial one.
std::string new_suffix(std::size_t size) {
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(SystemClock::now().time_since_epoch())
          .count();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%020lld", static_cast<long long>(nanos));
  return std::string(stamp) + crypto::hex_encode(crypto::random_bytes(6)) + "-" +
         std::to_string(size);
}

enum class CandidateState {
  complete,     // as far as the listing can tell (and every candidate of older stores)
  in_progress,  // shorter than its writer said, and its writer may still be writing
  abandoned,    // shorter than its writer said, and older than any live writer can be
};

// How long a writer may take to put a candidate of `size` bytes: a minute plus a second per
// MiB. A partial candidate older than this was left by a killed writer; a writer that took
// longer than half of it withdraws its candidate, so the two never meet.
std::chrono::nanoseconds write_grace(std::uint64_t size) {
  return std::chrono::seconds(60) + std::chrono::seconds(size / (1024 * 1024));
}

struct Suffix {
  std::chrono::nanoseconds written{0};
  std::optional<std::uint64_t> size;  // absent in candidates written before sizes were recorded
};

std::optional<Suffix> parse_suffix(const std::string& physical) {
  const auto tilde = physical.rfind(k_candidate_separator);
  if (tilde == std::string::npos) return std::nullopt;
  const std::string_view suffix = std::string_view(physical).substr(tilde + 1);
  if (suffix.size() < 20) return std::nullopt;
  long long nanos = 0;
  if (std::from_chars(suffix.data(), suffix.data() + 20, nanos).ec != std::errc{})
    return std::nullopt;
  Suffix parsed;
  parsed.written = std::chrono::nanoseconds(nanos);
  if (const auto dash = suffix.find('-', 20); dash != std::string_view::npos) {
    std::uint64_t size = 0;
    const auto digits = suffix.substr(dash + 1);
    if (std::from_chars(digits.data(), digits.data() + digits.size(), size).ec == std::errc{})
      parsed.size = size;
  }
  return parsed;
}

// What a listed candidate is. On servers that write uploads in place (s3rver) a writer killed
// mid-write leaves a partial candidate that would otherwise win, or block, forever.
CandidateState state_of(const ObjectStore::ListEntry& entry) {
  const auto suffix = parse_suffix(entry.name);
  if (!suffix || !suffix->size || !entry.size || *entry.size >= *suffix->size)
    return CandidateState::complete;
  const auto age = SystemClock::now().time_since_epoch() - suffix->written;
  return age > write_grace(*suffix->size) ? CandidateState::abandoned : CandidateState::in_progress;
}

// The candidates of `name` among `entries`, smallest suffix first.
std::vector<const ObjectStore::ListEntry*> candidates_in(const Entries& entries,
                                                         const std::string& name) {
  const auto stem = name + k_candidate_separator;
  std::vector<const ObjectStore::ListEntry*> found;
  for (auto it = entries.lower_bound(stem); it != entries.end() && it->first.starts_with(stem);
       ++it) {
    if (it->first.find('/', stem.size()) == std::string::npos) found.push_back(&it->second);
  }
  return found;
}

// The winner of `name`: its smallest candidate that was not abandoned, or nullptr. Abandoned
// candidates are added to `abandoned` for removal.
const ObjectStore::ListEntry* winner_in(const Entries& entries, const std::string& name,
                                        std::vector<std::string>* abandoned = nullptr) {
  const ObjectStore::ListEntry* winner = nullptr;
  for (const auto* entry : candidates_in(entries, name)) {
    if (state_of(*entry) == CandidateState::abandoned) {
      if (abandoned != nullptr) abandoned->push_back(entry->name);
      continue;
    }
    if (winner == nullptr) winner = entry;
  }
  return winner;
}

class SuffixPutStore final : public ObjectStore {
 public:
  SuffixPutStore(std::unique_ptr<ObjectStore> inner, SystemClock::duration listing_reuse)
      : m_inner(std::move(inner)), m_seen(listing_reuse) {}

  [[nodiscard]] std::string url() const override { return m_inner->url(); }
  [[nodiscard]] bool atomic_put_if_absent() const override { return false; }
  [[nodiscard]] unsigned useful_parallel_puts() const override {
    return m_inner->useful_parallel_puts();
  }
  [[nodiscard]] std::vector<std::string> warnings() const override { return m_inner->warnings(); }
  bool create() override { return m_inner->create(); }
  std::size_t remove_stale_temporaries(std::chrono::seconds older_than) override {
    return m_inner->remove_stale_temporaries(older_than);
  }
  bool exists() override { return m_inner->exists(); }
  [[nodiscard]] bool confirms_writes() const override { return m_inner->confirms_writes(); }

  bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) override {
    check_logical(name);
    const auto stem = name + k_candidate_separator;
    std::vector<std::string> abandoned;
    if (winner_in(list_all({ListRange{stem, {}, {}}}), name, &abandoned) != nullptr) return false;
    const auto mine = stem + new_suffix(data.size());
    const auto started = SystemClock::now();
    (void)m_inner->put_if_absent(mine, data);
    const auto took = SystemClock::now() - started;
    // The listing outlives the pointer into it that winner_in returns.
    const auto after = list_all({ListRange{stem, {}, {}}});
    const auto* winner = winner_in(after, name);
    // A write slower than half the grace may already count as abandoned for someone else.
    const bool won =
        took < write_grace(data.size()) / 2 && winner != nullptr && winner->name == mine;
    if (!won) abandoned.push_back(mine);
    m_inner->remove_batch(abandoned);
    m_seen.forget({name});
    return won;
  }

  // The protocol for many objects at once: one listing per directory before and after (see
  // spans_for), and
  // the candidates written with the backend's own (parallel) batch. Candidates left partial by
  // killed writers are removed on the way.
  std::vector<bool> put_batch(const std::vector<PutRequest>& requests) override {
    std::vector<std::string> names;
    for (const auto& request : requests) {
      check_logical(request.name);
      names.push_back(request.name);
    }
    const auto parents = spans_for(names);
    std::vector<std::string> abandoned;
    // The listing before the writes only spares writing a candidate that would lose: names a
    // recent list() saw absent skip it (the listing after the writes decides either way).
    std::vector<std::string> unknown;
    for (const auto& name : names) {
      if (!m_seen.absent(name)) unknown.push_back(name);
    }
    auto listed = unknown.empty() ? Entries{} : list_all(spans_for(unknown));
    std::vector<bool> written(requests.size(), false);
    // Small candidates are copied into one batch for the backend's parallel puts; a large one
    // is put alone from the caller's bytes (the backend uploads it in parts anyway), so a GiB
    // object is not copied first.
    std::vector<std::string> mine;  // candidate names, per index below
    std::vector<std::size_t> index;
    std::vector<PutRequest> small;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const auto& request = requests[i];
      if (winner_in(listed, request.name, &abandoned) != nullptr ||
          !seen.insert(request.name).second)
        continue;
      mine.push_back(request.name + k_candidate_separator + new_suffix(request.data.size()));
      index.push_back(i);
      if (request.data.size() < k_copied_put_limit) small.push_back({mine.back(), request.data});
    }
    const auto started = SystemClock::now();
    (void)m_inner->put_batch(small);
    small.clear();
    for (std::size_t j = 0; j < mine.size(); ++j) {
      const auto& data = requests[index[j]].data;
      if (data.size() >= k_copied_put_limit) (void)m_inner->put_if_absent(mine[j], data);
    }
    const auto took = SystemClock::now() - started;
    listed = list_all(parents);
    m_seen.forget(names);
    std::vector<std::string> losers;
    for (std::size_t j = 0; j < mine.size(); ++j) {
      const auto& request = requests[index[j]];
      const auto* winner = winner_in(listed, request.name, &abandoned);
      // A write slower than half the grace may already count as abandoned for someone else.
      const bool in_time = took < write_grace(request.data.size()) / 2;
      if (in_time && winner != nullptr && winner->name == mine[j]) {
        written[index[j]] = true;
      } else {
        losers.push_back(mine[j]);
      }
    }
    losers.insert(losers.end(), abandoned.begin(), abandoned.end());
    std::sort(losers.begin(), losers.end());
    losers.erase(std::unique(losers.begin(), losers.end()), losers.end());
    m_inner->remove_batch(losers);
    return written;
  }

  std::optional<Bytes> get(const std::string& name) override {
    auto read = std::move(get_batch({name}).front());
    if (read.error) throw *read.error;
    return std::move(read.bytes);
  }

  // One listing per directory the batch reads several objects from (see spans_for), the
  // listings side by side, then the winners read with the backend's own batch. Names whose
  // complete winner a recent list() saw are read without a listing; one that has gone since
  // (removed, perhaps written again) is looked up again.
  std::vector<GetResult> get_batch(const std::vector<std::string>& names) override {
    for (const auto& name : names) check_logical(name);
    std::vector<GetResult> out(names.size());
    std::vector<std::string> winners;
    std::vector<std::size_t> index;
    std::vector<std::size_t> unknown;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (auto winner = m_seen.complete_winner(names[i])) {
        winners.push_back(std::move(*winner));
        index.push_back(i);
      } else {
        unknown.push_back(i);
      }
    }
    auto read = m_inner->get_batch(winners);
    for (std::size_t j = 0; j < read.size(); ++j) {
      if (!read[j].bytes && !read[j].error) {
        unknown.push_back(index[j]);
        continue;
      }
      out[index[j]] = std::move(read[j]);
    }
    if (unknown.empty()) return out;
    std::sort(unknown.begin(), unknown.end());
    std::vector<std::string> unknown_names;
    unknown_names.reserve(unknown.size());
    for (const auto i : unknown) unknown_names.push_back(names[i]);
    m_seen.forget(unknown_names);
    const auto listed = list_all(spans_for(unknown_names));
    winners.clear();
    index.clear();
    for (const auto i : unknown) {
      const auto* winner = winner_in(listed, names[i]);
      if (winner == nullptr) continue;
      if (state_of(*winner) == CandidateState::in_progress) {
        out[i].error = being_written(names[i]);
        continue;
      }
      winners.push_back(winner->name);
      index.push_back(i);
    }
    read = m_inner->get_batch(winners);
    for (std::size_t j = 0; j < read.size(); ++j) out[index[j]] = std::move(read[j]);
    return out;
  }

  // A candidate still being written counts: the name is taken.
  bool contains(const std::string& name) override {
    check_logical(name);
    return winner_in(list_all({ListRange{name + k_candidate_separator, {}, {}}}), name) != nullptr;
  }

  std::vector<std::string> list_starting_with(const std::string& stem) override {
    std::set<std::string> logical;
    for (const auto& name : visible(m_inner->list_entries_starting_with(stem)))
      logical.insert(name.substr(0, name.rfind(k_candidate_separator)));
    std::erase_if(logical, [&](const std::string& name) { return !name.starts_with(stem); });
    return {logical.begin(), logical.end()};
  }

  std::vector<std::string> list(const std::string& prefix) override {
    auto entries = m_inner->list_entries_starting_with(prefix);
    std::set<std::string> logical;
    for (const auto& name : visible(entries))
      logical.insert(name.substr(0, name.rfind(k_candidate_separator)));
    m_seen.remember(prefix, std::move(entries));
    return {logical.begin(), logical.end()};
  }

  void remove(const std::string& name) override { remove_batch({name}); }

  // Every candidate of every name, abandoned ones too, from the same listings as a batch read.
  void remove_batch(const std::vector<std::string>& names) override {
    for (const auto& name : names) check_logical(name);
    const auto listed = list_all(spans_for(names));
    std::vector<std::string> physical;
    for (const auto& name : names) {
      for (const auto* candidate : candidates_in(listed, name)) physical.push_back(candidate->name);
    }
    m_inner->remove_batch(physical);
    m_seen.forget(names);
  }

 private:
  // What the last list() saw below its prefix, for a few minutes: a migration lists a whole
  // store and then reads (or writes) it batch by batch, and on s3rver each batch's range
  // listing cost about as much as reading its 64 objects. Only conclusions that a later change
  // cannot make wrong are drawn from it: a complete winner is read directly (one that has gone
  // since reads as missing, and the name is looked up again), and a name seen absent skips the
  // listing before a write (the listing after it decides). Candidates written since with a
  // smaller suffix would need a writer whose clock is behind, which the protocol rules out
  // anyway. Names this store writes or removes are forgotten.
  class SeenListing {
   public:
    explicit SeenListing(SystemClock::duration reuse) : m_reuse(reuse) {}
    void remember(const std::string& prefix, std::vector<ListEntry> listed) {
      Entries entries;
      for (auto& entry : listed) {
        auto key = entry.name;
        entries.insert_or_assign(std::move(key), std::move(entry));
      }
      const std::lock_guard lock(m_mutex);
      m_prefix = prefix;
      m_entries = std::move(entries);
      m_forgotten.clear();
      m_at = SystemClock::now();
      m_valid = true;
    }
    // The physical name of `name`'s winner, when the listing saw one complete.
    std::optional<std::string> complete_winner(const std::string& name) {
      const std::lock_guard lock(m_mutex);
      if (!covers(name)) return std::nullopt;
      const auto* winner = winner_in(m_entries, name);
      if (winner == nullptr || state_of(*winner) != CandidateState::complete) return std::nullopt;
      return winner->name;
    }
    // Whether the listing saw no candidate of `name` at all.
    bool absent(const std::string& name) {
      const std::lock_guard lock(m_mutex);
      return covers(name) && candidates_in(m_entries, name).empty() && !m_forgotten.contains(name);
    }
    void forget(const std::vector<std::string>& names) {
      const std::lock_guard lock(m_mutex);
      if (!m_valid) return;
      for (const auto& name : names) {
        for (const auto* candidate : candidates_in(m_entries, name)) {
          m_entries.erase(std::string(candidate->name));
        }
        m_forgotten.insert(name);
      }
    }

   private:
    [[nodiscard]] bool covers(const std::string& name) const {
      return m_valid && name.starts_with(m_prefix) && SystemClock::now() - m_at < m_reuse;
    }
    SystemClock::duration m_reuse;
    std::mutex m_mutex;
    bool m_valid = false;
    std::string m_prefix;
    Entries m_entries;
    std::set<std::string> m_forgotten;  // names whose absence the listing no longer proves
    SystemClock::time_point m_at;
  };

  static void check_logical(const std::string& name) {
    validate_object_name(name);
    if (name.find(k_candidate_separator) != std::string::npos) {
      fail(ErrorCode::internal, "object name '" + name + "' contains the candidate separator");
    }
  }

  [[nodiscard]] Error being_written(const std::string& name) const {
    return {ErrorCode::conflict,
            "object '" + name + "' in " + url() + " is being written by another process",
            "retry in a minute; a partial object left by a killed writer stops counting once "
            "its writer's time is up"};
  }

  // Names starting with `stem` strictly between `after` and `before` (empty: no bound), of
  // which about `expected` are wanted.
  struct ListRange {
    std::string stem;
    std::string after;
    std::string before;
    std::size_t expected = 0;
    bool operator==(const ListRange&) const = default;
    bool operator<(const ListRange& other) const {
      return std::tie(stem, after, before, expected) <
             std::tie(other.stem, other.after, other.before, other.expected);
    }
  };

  // What to list to see every candidate of `names`: in a directory several of them share, the
  // range from the first to the last of them (a batch of neighbours in a directory of
  // thousands lists its neighbourhood, not the directory); a lone name's own stem.
  static std::vector<ListRange> spans_for(const std::vector<std::string>& names) {
    std::map<std::string, std::pair<std::string, std::string>> per_parent;  // first, last
    std::map<std::string, std::size_t> count;
    for (const auto& name : names) {
      const auto parent = parent_prefix(name);
      auto [it, fresh] = per_parent.try_emplace(parent, name, name);
      if (!fresh) {
        it->second.first = std::min(it->second.first, name);
        it->second.second = std::max(it->second.second, name);
      }
      ++count[parent];
    }
    std::vector<ListRange> spans;
    for (const auto& [parent, bounds] : per_parent) {
      if (count[parent] > 1) {
        // Candidates `name~…` sort after `name` and before `name` followed by the byte after
        // the separator.
        auto before = bounds.second;
        before.push_back(static_cast<char>(k_candidate_separator + 1));
        spans.push_back({parent, bounds.first, std::move(before), count[parent]});
      }
    }
    for (const auto& name : names) {
      if (count[parent_prefix(name)] == 1) spans.push_back({name + k_candidate_separator, {}, {}});
    }
    return spans;
  }

  // Physical names of a listing without abandoned candidates.
  static std::vector<std::string> visible(const std::vector<ListEntry>& entries) {
    std::vector<std::string> names;
    for (const auto& entry : entries) {
      if (state_of(entry) != CandidateState::abandoned) names.push_back(entry.name);
    }
    return names;
  }

  // Everything in each of `spans` (deduplicated), listed side by side.
  Entries list_all(std::vector<ListRange> spans) {
    std::sort(spans.begin(), spans.end());
    spans.erase(std::unique(spans.begin(), spans.end()), spans.end());
    std::vector<std::vector<ListEntry>> listings(spans.size());
    std::vector<std::optional<Error>> failures(spans.size());
    std::atomic<std::size_t> next{0};
    const auto lister = [&] {
      for (auto i = next.fetch_add(1); i < spans.size(); i = next.fetch_add(1)) {
        try {
          const auto& span = spans[i];
          listings[i] = span.after.empty() && span.before.empty()
                            ? m_inner->list_entries_starting_with(span.stem)
                            : m_inner->list_entries_between(span.stem, span.after, span.before,
                                                            span.expected);
        } catch (const Error& e) {
          failures[i] = e;
        }
      }
    };
    {
      std::vector<std::jthread> threads;
      for (std::size_t t = 1; t < std::min(k_parallel_listings, spans.size()); ++t)
        threads.emplace_back(lister);
      lister();
    }
    for (const auto& failure : failures) {
      if (failure) throw *failure;
    }
    Entries entries;
    for (auto& listing : listings) {
      for (auto& entry : listing) {
        auto key = entry.name;
        entries.insert_or_assign(std::move(key), std::move(entry));
      }
    }
    return entries;
  }

  std::unique_ptr<ObjectStore> m_inner;
  SeenListing m_seen;
};

}  // namespace

std::unique_ptr<ObjectStore> make_suffix_put_store(std::unique_ptr<ObjectStore> inner,
                                                   std::chrono::milliseconds listing_reuse) {
  return std::make_unique<SuffixPutStore>(std::move(inner), listing_reuse);
}

}  // namespace ward::store
