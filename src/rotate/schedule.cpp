#include "schedule.hpp"

#include <array>
#include <charconv>
#include <cstdio>

#include "ward/keyring/generations.hpp"

namespace ward::rotate {
namespace {

constexpr std::string_view k_marker = "ward-revocation/v1";

std::string prefix_of(const keyring::Namespace& ns) { return "rotation/" + ns.id() + "/"; }

struct Entry {
  std::string object;
  long long due = 0;
  std::string credential_id;
  std::uint32_t version = 0;
};

std::optional<Entry> parse_entry(const std::string& object, const std::string& prefix) {
  // <due>.<credential-id>.v<N>
  const auto rest = std::string_view(object).substr(prefix.size());
  const auto first = rest.find('.');
  const auto last = rest.rfind('.');
  if (first == std::string_view::npos || last == first) return std::nullopt;
  Entry entry;
  entry.object = object;
  const auto due_text = rest.substr(0, first);
  if (std::from_chars(due_text.data(), due_text.data() + due_text.size(), entry.due).ec !=
      std::errc{}) {
    return std::nullopt;
  }
  entry.credential_id = std::string(rest.substr(first + 1, last - first - 1));
  const auto version = keyring::parse_version_name(rest.substr(last + 1));
  if (!version) return std::nullopt;
  entry.version = *version;
  return entry;
}

std::vector<Entry> due_entries(keyring::Namespace& ns) {
  const auto prefix = prefix_of(ns);
  const auto now = util::now().time_since_epoch().count();
  std::vector<Entry> due;
  for (const auto& object : ns.store().list(prefix)) {
    if (auto entry = parse_entry(object, prefix); entry && entry->due <= now) {
      due.push_back(std::move(*entry));
    }
  }
  return due;
}

template <typename F>
auto locked(std::mutex* mutex, F&& body) {
  if (mutex == nullptr) return body();
  const std::lock_guard<std::mutex> guard(*mutex);
  return body();
}

}  // namespace

bool schedule_revocation(keyring::Namespace& ns, const std::string& credential_id,
                         std::uint32_t version, util::TimePoint due) {
  std::array<char, 24> due_text{};
  std::snprintf(due_text.data(), due_text.size(), "%012lld",
                static_cast<long long>(due.time_since_epoch().count()));
  const auto object =
      prefix_of(ns) + due_text.data() + "." + credential_id + "." + keyring::version_name(version);
  return ns.store().put_if_absent(
      object, {reinterpret_cast<const std::uint8_t*>(k_marker.data()), k_marker.size()});
}

Retirement retire_version(vault::Vault& vault, keyring::Namespace& ns,
                          const std::string& credential_id, std::uint32_t version,
                          const TargetContext& target, const std::string& actor,
                          std::mutex* store_mutex) {
  Retirement out;
  out.credential_id = credential_id;
  out.version = version;
  const auto drop_entries = [&] {
    const auto prefix = prefix_of(ns);
    std::vector<std::string> doomed;
    for (const auto& object : ns.store().list(prefix)) {
      const auto entry = parse_entry(object, prefix);
      if (entry && entry->credential_id == credential_id && entry->version == version) {
        doomed.push_back(object);
      }
    }
    ns.store().remove_batch(doomed);
    return true;
  };
  try {
    const auto newest = locked(store_mutex, [&] { return vault.latest_by_id(credential_id); });
    out.name = newest.name;
    // Nothing to do when it is revoked already, or the commit that superseded it never
    // happened (a crash between scheduling and committing).
    if (newest.revoked.contains(version) || !newest.revoke_after.contains(version) ||
        newest.current_version == version || newest.current_version == 0) {
      out.skipped = true;
      locked(store_mutex, drop_entries);
      return out;
    }
    if (newest.kind == vault::VersionKind::pending) {
      out.error = "a rotation of it is in progress; left for the next maintenance run";
      return out;
    }
    auto [current, old] = locked(store_mutex, [&] {
      return std::pair{vault.read(newest.name), vault.read(newest.name, version)};
    });
    driver_for(current)->retire(current, old, target);
    locked(store_mutex, [&] { return vault.revoke(newest.name, version, false, actor); });
    locked(store_mutex, drop_entries);
    out.done = true;
  } catch (const Error& e) {
    out.error = e.what();
  }
  return out;
}

std::vector<Retirement> run_due_revocations(vault::Vault& vault, keyring::Namespace& ns,
                                            const TargetContext& target, const std::string& actor,
                                            std::size_t limit) {
  std::vector<Retirement> out;
  for (const auto& entry : due_entries(ns)) {
    if (out.size() >= limit) break;
    out.push_back(
        retire_version(vault, ns, entry.credential_id, entry.version, target, actor, nullptr));
  }
  return out;
}

bool revocations_due(keyring::Namespace& ns) { return !due_entries(ns).empty(); }

}  // namespace ward::rotate
