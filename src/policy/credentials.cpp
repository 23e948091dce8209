#include "providers.hpp"
#include "ward/vault/vault.hpp"

namespace ward::policy::providers {

std::vector<Item> credentials(const Scope& scope) {
  vault::Vault vault(scope.ns);
  std::vector<Item> items;
  for (const auto& c : vault.list()) {
    if (c.current_version == 0) continue;  // revoked: no secret left to rotate
    const auto every = c.rotate_every ? c.rotate_every : scope.options.default_rotate_every;
    Item item;
    item.kind = "credential";
    item.subject_id = c.id;
    item.subject = c.name;
    item.ns = scope.ns.name();
    if (!every) {
      item.message = "no rotation policy";
      items.push_back(std::move(item));
      continue;
    }
    // The clock runs from when the current secret was written. A newer revocation marker or
    // pending version does not reset it, so read the current version's own record then.
    auto rotated = c.updated;
    if (c.latest_version != c.current_version)
      rotated = vault.read(c.name, c.current_version).created;
    item.due_at = util::parse_time(rotated) + *every;
    settle(item, scope.options);
    const auto policy = util::format_duration(*every);
    switch (item.state) {
      case State::overdue:
        item.message = "rotation overdue: last rotated " + rotated;
        item.message += ", policy " + policy;
        break;
      case State::due:
        item.message =
            "rotation due " + util::format_time(*item.due_at) + " (policy " + policy + ")";
        break;
      case State::ok:
        item.message = "rotated " + rotated + ", next due " + util::format_time(*item.due_at);
        break;
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace ward::policy::providers
