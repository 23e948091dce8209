#include "providers.hpp"

namespace ward::policy::providers {

std::vector<Item> keys(const Scope& scope) {
  const auto max_age = scope.options.kek_max_age.value_or(scope.keyring.config().kek_max_age);
  std::vector<Item> items;
  for (const auto& v : scope.ns.kek_versions()) {
    // Only the current version has a rotation schedule: older ones are judged by whether
    // anything still uses them (rewrap state), which the key report shows.
    if (!v.current) continue;
    Item item;
    item.kind = "key";
    item.subject_id = "kek/v" + std::to_string(v.version);
    item.subject = "KEK v" + std::to_string(v.version);
    item.ns = scope.ns.name();
    item.due_at = v.created + max_age;
    settle(item, scope.options);
    const auto policy = util::format_duration(max_age);
    switch (item.state) {
      case State::overdue:
        item.message =
            "key rotation overdue: created " + util::format_time(v.created) + ", policy " + policy;
        break;
      case State::due:
        item.message =
            "key rotation due " + util::format_time(*item.due_at) + " (policy " + policy + ")";
        break;
      case State::ok:
        item.message = "created " + util::format_time(v.created) + ", rotation due " +
                       util::format_time(*item.due_at);
        break;
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace ward::policy::providers
