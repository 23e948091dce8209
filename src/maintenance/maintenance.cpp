#include "ward/maintenance/maintenance.hpp"

#include <functional>

#include "ward/audit/log.hpp"
#include "ward/error.hpp"
#include "ward/keyring/generations.hpp"

namespace ward::maintenance {
namespace {

using keyring::GenerationMap;

// Queues every generation older than the newest one that `opens` accepts.
void collect_superseded(const GenerationMap& objects,
                        const std::function<bool(const std::string&, std::uint32_t)>& opens,
                        std::vector<std::string>& doomed, Report& report) {
  for (const auto& [logical, generations] : objects) {
    if (generations.size() < 2) continue;
    std::size_t good = generations.size();
    for (std::size_t i = 0; i < generations.size(); ++i) {
      if (opens(logical, generations[i])) {
        good = i;
        break;
      }
    }
    if (good == generations.size() || good > 0) {
      report.unopenable_newest.push_back(logical);
      if (good == generations.size()) continue;
    }
    for (std::size_t i = good + 1; i < generations.size(); ++i) {
      doomed.push_back(keyring::generation_name(logical, generations[i]));
    }
  }
}

}  // namespace

Report run(keyring::Keyring& keys, std::chrono::seconds temp_age, std::size_t seal_min_events) {
  Report report;
  auto& store = keys.store();
  report.stale_temporaries = store.remove_stale_temporaries(temp_age);

  std::vector<std::string> doomed;
  const auto authenticates = [](const std::function<void()>& open) {
    try {
      open();
      return true;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::auth) throw;
      return false;
    }
  };

  GenerationMap master_objects = keyring::group_generations(store.list("keys/root/"));
  for (auto& entry : keyring::group_generations(store.list("keys/ns/")))
    master_objects.insert(entry);
  collect_superseded(
      master_objects,
      [&](const std::string& logical, std::uint32_t generation) {
        const auto bytes = store.get(keyring::generation_name(logical, generation));
        if (!bytes) return false;
        return authenticates([&] {
          const auto type = keyring::parse_envelope(*bytes).header.type;
          (void)keys.open_master_object(type, logical, {generation});
        });
      },
      doomed, report);

  for (const auto& name : keys.namespace_names()) {
    auto& ns = keys.ns(name);
    for (const auto& prefix : ns.kek_wrapped_prefixes()) {
      collect_superseded(
          keyring::group_generations(store.list(prefix)),
          [&](const std::string& logical, std::uint32_t generation) {
            const auto bytes = store.get(keyring::generation_name(logical, generation));
            if (!bytes) return false;
            return authenticates([&] {
              (void)ns.open(keyring::parse_envelope(*bytes).header.type, logical, *bytes);
            });
          },
          doomed, report);
    }
  }
  store.remove_batch(doomed);
  report.superseded_generations = doomed.size();

  audit::Log log(store, keys.audit_key(), keys.config().store_id);
  report.sealed_events = log.seal(seal_min_events);
  return report;
}

}  // namespace ward::maintenance
