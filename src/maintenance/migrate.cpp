#include "ward/maintenance/migrate.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "ward/crypto/hash.hpp"
#include "ward/error.hpp"

namespace ward::maintenance {
namespace {

constexpr std::string_view k_config = "config";
// Objects read, written and checked together: one put_batch (parallel on S3) per group.
constexpr std::size_t k_group = 64;
// Reads in flight at once: a remote store answers each read after a round trip.
constexpr std::size_t k_readers = 8;

struct Read {
  std::optional<store::Bytes> bytes;
  std::optional<Error> error;
};

// Reads `names` from several threads (every backend's get is safe to call concurrently).
std::vector<Read> read_many(store::ObjectStore& store, const std::vector<std::string>& names) {
  std::vector<Read> out(names.size());
  std::atomic<std::size_t> next{0};
  std::mutex failed_mutex;
  std::exception_ptr failed;
  const auto worker = [&] {
    for (auto i = next.fetch_add(1); i < names.size(); i = next.fetch_add(1)) {
      try {
        out[i].bytes = store.get(names[i]);
      } catch (const Error& e) {
        out[i].error = e;
      } catch (...) {
        const std::lock_guard lock(failed_mutex);
        if (!failed) failed = std::current_exception();
      }
    }
  };
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < std::min(k_readers, names.size()); ++t)
      threads.emplace_back(worker);
  }
  if (failed) std::rethrow_exception(failed);
  return out;
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
  // The config is the commit point of a store: copy it last.
  std::erase(names, std::string(k_config));
  names.emplace_back(k_config);
  result.objects = names.size();
  const auto present_list = destination.list("");
  const std::set<std::string> present(present_list.begin(), present_list.end());

  std::size_t done = 0;
  for (std::size_t start = 0; start < names.size(); start += k_group) {
    const std::vector<std::string> group(
        names.begin() + static_cast<std::ptrdiff_t>(start),
        names.begin() + static_cast<std::ptrdiff_t>(std::min(names.size(), start + k_group)));
    auto sources = read_many(source, group);
    std::vector<std::string> already;
    for (const auto& name : group) {
      if (present.contains(name)) already.push_back(name);
    }
    auto existing = read_many(destination, already);
    std::vector<store::ObjectStore::PutRequest> batch;
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
          if (found.error->code() != ErrorCode::auth) throw *found.error;
          destination.remove(name);
          ++result.replaced_incomplete;
          batch.push_back({name, std::move(*bytes)});
          continue;
        }
        if (found.bytes && crypto::sha256(*found.bytes) == crypto::sha256(*bytes)) {
          ++result.skipped;
          if (progress) progress(++done, names.size());
          continue;
        }
        fail(ErrorCode::conflict,
             "object '" + name + "' already exists at " + destination.url() +
                 " with different content",
             "the destination holds another store (or a changed copy); migrate into an empty "
             "location");
      }
      batch.push_back({name, std::move(*bytes)});
    }
    const auto written = destination.put_batch(batch);
    std::vector<std::string> copied_names;
    copied_names.reserve(batch.size());
    for (const auto& request : batch) copied_names.push_back(request.name);
    const auto copies = read_many(destination, copied_names);
    for (std::size_t j = 0; j < batch.size(); ++j) {
      const auto& request = batch[j];
      if (copies[j].error) throw *copies[j].error;
      const auto& copy = copies[j].bytes;
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
      if (written[j]) {
        ++result.copied;
        result.bytes_copied += request.data.size();
      } else {
        ++result.skipped;
      }
      if (progress) progress(++done, names.size());
    }
  }
  return result;
}

}  // namespace ward::maintenance
