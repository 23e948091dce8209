#include "ward/maintenance/migrate.hpp"

#include <algorithm>
#include <future>
#include <optional>
#include <set>

#include "ward/crypto/hash.hpp"
#include "ward/error.hpp"

namespace ward::maintenance {
namespace {

constexpr std::string_view k_config = "config";
// Objects read, written and checked together: one get_batch and one put_batch (parallel on
// remote backends) per group.
constexpr std::size_t k_group = 64;
// The next group is read while this one is written, as long as this one held less than this:
// a remote side's round trips then overlap with the other side's work (1,000 small objects
// from s3rver to a local store read 1,000 objects and wrote 1,000 files one group after the
// other), and at most this much more is held at once.
constexpr std::size_t k_prefetch_bytes = std::size_t{64} * 1024 * 1024;

// Copies written as one put batch: at most this many, and no more once they hold this much.
constexpr std::size_t k_put_batch = 256;
constexpr std::size_t k_put_batch_bytes = std::size_t{16} * 1024 * 1024;

std::size_t bytes_in(const std::vector<store::ObjectStore::GetResult>& results) {
  std::size_t total = 0;
  for (const auto& result : results) total += result.bytes ? result.bytes->size() : 0;
  return total;
}

}  // namespace

MigrateResult migrate_store(store::ObjectStore& source, store::ObjectStore& destination,
                            const MigrateProgress& progress) {
  if (source.url() == destination.url()) {
    fail(ErrorCode::usage, "source and destination are the same store: " + source.url());
  }
  if (!source.contains(std::string(k_config))) {
    fail(ErrorCode::not_found, "no ward store at " + source.url(),
         "the source must be an existing store (one made by `ward init`)");
  }
  (void)destination.create();
  MigrateResult result;
  result.destination_atomic = destination.atomic_put_if_absent();

  auto names = source.list("");
  std::erase(names, std::string(k_config));
  result.objects = names.size() + 1;
  // The config is the commit point of a store: it is copied last, in a batch of its own (a
  // batch's puts run in parallel), so an interrupted migration never leaves a destination that
  // opens with objects missing.
  std::vector<std::vector<std::string>> groups;
  for (std::size_t start = 0; start < names.size(); start += k_group) {
    groups.emplace_back(
        names.begin() + static_cast<std::ptrdiff_t>(start),
        names.begin() + static_cast<std::ptrdiff_t>(std::min(names.size(), start + k_group)));
  }
  groups.push_back({std::string(k_config)});
  const auto present_list = destination.list("");
  const std::set<std::string> present(present_list.begin(), present_list.end());
  const bool destination_opened = present.contains(std::string(k_config));

  std::size_t done = 0;
  std::vector<store::ObjectStore::PutRequest> batch;
  std::size_t batch_bytes = 0;
  // Writes the gathered copies and checks each against the source's digest: by the destination
  // itself where it proves what it stored (a local file; an S3 server's ETag), by reading it
  // back otherwise, and always where another writer's object was found in its place.
  const auto write_batch = [&] {
    if (batch.empty()) return;
    const auto written = destination.put_batch(batch);
    std::vector<std::string> check_names;
    std::vector<std::size_t> check_index;
    for (std::size_t j = 0; j < batch.size(); ++j) {
      if (written[j] && destination.confirms_writes()) continue;
      check_names.push_back(batch[j].name);
      check_index.push_back(j);
    }
    auto copies = destination.get_batch(check_names);
    for (std::size_t c = 0; c < check_names.size(); ++c) {
      const auto j = check_index[c];
      const auto& request = batch[j];
      if (copies[c].error) throw *copies[c].error;
      const auto& copy = copies[c].bytes;
      if (!copy || crypto::sha256(*copy) != crypto::sha256(request.data)) {
        if (!written[j]) {
          fail(ErrorCode::conflict,
               "object '" + request.name + "' was written at " + destination.url() +
                   " by someone else during the migration",
               "stop other writers of the destination and run the migration again");
        }
        fail(ErrorCode::auth,
             "the copy of object '" + request.name + "' at " + destination.url() +
                 " does not match the source",
             "run the migration again; it resumes where it stopped");
      }
    }
    for (std::size_t j = 0; j < batch.size(); ++j) {
      const auto& request = batch[j];
      if (written[j]) {
        ++result.copied;
        result.bytes_copied += request.data.size();
      } else {
        ++result.skipped;
      }
      if (progress) progress(++done, result.objects);
    }
    batch.clear();
    batch_bytes = 0;
  };

  // Only this thread and, between get() and the next launch, none other uses `source`.
  std::future<std::vector<store::ObjectStore::GetResult>> prefetched;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& group = groups[g];
    auto sources = prefetched.valid() ? prefetched.get() : source.get_batch(group);
    const bool last = g + 1 == groups.size();
    if (!last && bytes_in(sources) < k_prefetch_bytes) {
      prefetched = std::async(std::launch::async,
                              [&source, &next = groups[g + 1]] { return source.get_batch(next); });
    }
    std::vector<std::string> already;
    for (const auto& name : group) {
      if (present.contains(name)) already.push_back(name);
    }
    auto existing = destination.get_batch(already);
    for (std::size_t i = 0, k = 0; i < group.size(); ++i) {
      const auto& name = group[i];
      if (sources[i].error) throw *sources[i].error;
      auto& bytes = sources[i].bytes;
      if (!bytes) {
        fail(ErrorCode::conflict,
             "object '" + name + "' vanished from " + source.url() + " while it was being migrated",
             "stop the writers of the source store and run the migration again");
      }
      if (present.contains(name)) {
        auto& found = existing[k++];
        if (found.error) {
          // A copy that fails the backend's own integrity check was torn by an interrupted
          // run (a server that stores uploads in place): it never held anything; replace it.
          // One the backend calls still being written is the same leftover as long as the
          // destination has no config: no command but a migration writes a store before
          // that. Once it has one, other writers may be at work, and it is theirs.
          const bool torn = found.error->code() == ErrorCode::auth ||
                            (found.error->code() == ErrorCode::conflict && !destination_opened);
          if (!torn) throw *found.error;
          destination.remove(name);
          ++result.replaced_incomplete;
        } else if (found.bytes && crypto::sha256(*found.bytes) == crypto::sha256(*bytes)) {
          ++result.skipped;
          if (progress) progress(++done, result.objects);
          continue;
        } else {
          fail(ErrorCode::conflict,
               "object '" + name + "' already exists at " + destination.url() +
                   " with different content",
               "the destination holds another store (or a changed copy); migrate into an empty "
               "location");
        }
      }
      batch_bytes += bytes->size();
      batch.push_back({name, std::move(*bytes)});
    }
    // Small copies of several groups go out as one batch: under the suffix protocol every put
    // batch costs a listing and a drain of its parallel requests (1,000 small objects to
    // s3rver took 1.6-1.7 s in batches of 64, 1.25-1.4 s in batches of 256).
    const bool next_is_last = g + 2 == groups.size();
    if (last || next_is_last || batch.size() + k_group > k_put_batch ||
        batch_bytes >= k_put_batch_bytes) {
      write_batch();
    }
  }
  return result;
}

}  // namespace ward::maintenance
