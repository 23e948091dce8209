#include "ward/check/results.hpp"

#include <algorithm>
#include <map>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"
#include "ward/keyring/envelope.hpp"
#include "ward/keyring/generations.hpp"
#include "ward/util/duration.hpp"

namespace ward::check {
namespace {

using keyring::ObjectType;

// 2026-11-23T17:00:00Z → 20261123T170000Z: sortable, no characters a backend might mind.
std::string compact_time(const std::string& rfc3339) {
  std::string out;
  for (const char c : rfc3339) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

}  // namespace

ResultStore::ResultStore(keyring::Namespace& ns) : m_ns(ns) {}

std::string ResultStore::target_prefix(std::string_view kind, std::string_view target) const {
  return "checks/" + m_ns.id() + "/" +
         m_ns.object_id(std::string(kind) + ":" + std::string(target)) + "/";
}

std::string ResultStore::save(const Probe& probe) { return save_all({probe}).front(); }

std::vector<std::string> ResultStore::save_all(const std::vector<Probe>& probes) {
  std::vector<std::string> logicals;
  std::vector<store::ObjectStore::PutRequest> requests;
  logicals.reserve(probes.size());
  requests.reserve(probes.size());
  const auto now = util::format_time(util::now());
  for (const auto& probe : probes) {
    const auto when = probe.checked_at.empty() ? now : probe.checked_at;
    auto logical = target_prefix(probe.kind, probe.target) + compact_time(when) + "-" +
                   crypto::hex_encode(crypto::random_bytes(6));
    const auto text = to_json(probe).dump();
    requests.push_back(
        {keyring::generation_name(logical, 1),
         m_ns.seal(ObjectType::check_result, logical,
                   std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()))});
    logicals.push_back(std::move(logical));
  }
  const auto written = m_ns.store().put_batch(requests);
  if (std::find(written.begin(), written.end(), false) != written.end()) {
    fail(ErrorCode::conflict, "a check result with the same name exists already", "retry");
  }
  prune(m_ns.store().list(probes.size() == 1 ? target_prefix(probes[0].kind, probes[0].target)
                                             : "checks/" + m_ns.id() + "/"));
  return logicals;
}

void ResultStore::prune(const std::vector<std::string>& names) {
  // Names sort by time within a target's directory: the first ones are the oldest.
  std::map<std::string, std::vector<std::pair<std::string, std::vector<std::uint32_t>>>> by_target;
  for (auto& [name, generations] : keyring::group_generations(names)) {
    by_target[name.substr(0, name.rfind('/'))].emplace_back(name, generations);
  }
  std::vector<std::string> doomed;
  for (const auto& [dir, stored] : by_target) {
    if (stored.size() <= k_kept_results) continue;
    for (std::size_t i = 0; i < stored.size() - k_kept_results; ++i) {
      for (const auto g : stored[i].second)
        doomed.push_back(keyring::generation_name(stored[i].first, g));
    }
  }
  if (!doomed.empty()) m_ns.store().remove_batch(doomed);
}

Probe ResultStore::load(const std::string& logical, std::uint32_t generation) {
  const auto bytes = m_ns.store().get(keyring::generation_name(logical, generation));
  if (!bytes) fail(ErrorCode::not_found, "check result " + logical + " disappeared while reading");
  const auto plaintext = m_ns.open(ObjectType::check_result, logical, *bytes);
  const std::string text(reinterpret_cast<const char*>(plaintext.data()), plaintext.size());
  const auto document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) fail(ErrorCode::auth, "check result " + logical + " is not JSON");
  return probe_from_json(document);
}

std::optional<Probe> ResultStore::latest(std::string_view kind, std::string_view target) {
  const auto stored = keyring::group_generations(m_ns.store().list(target_prefix(kind, target)));
  if (stored.empty()) return std::nullopt;
  const auto& [logical, generations] = *stored.rbegin();
  return load(logical, generations.front());
}

std::vector<Probe> ResultStore::latest_all() {
  const auto stored = keyring::group_generations(m_ns.store().list("checks/" + m_ns.id() + "/"));
  // The newest name below each target directory.
  std::map<std::string, std::pair<std::string, std::uint32_t>> newest;
  for (const auto& [logical, generations] : stored) {
    const auto dir = logical.substr(0, logical.rfind('/'));
    newest[dir] = {logical, generations.front()};  // the map iterates names in order
  }
  std::vector<Probe> out;
  out.reserve(newest.size());
  for (const auto& [dir, entry] : newest) out.push_back(load(entry.first, entry.second));
  return out;
}

}  // namespace ward::check
