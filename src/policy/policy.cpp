#include "ward/policy/policy.hpp"

#include <algorithm>
#include <limits>
#include <tuple>

namespace ward::policy {

std::string_view to_string(State state) {
  switch (state) {
    case State::ok:
      return "ok";
    case State::due:
      return "due";
    case State::overdue:
      return "overdue";
  }
  return "ok";
}

Judgement judge(util::TimePoint due_at, const Options& options) {
  if (options.now >= due_at) return {State::overdue, check::Severity::high};
  if (options.now + options.window >= due_at) return {State::due, check::Severity::medium};
  return {State::ok, check::Severity::info};
}

void settle(Item& item, const Options& options) {
  if (!item.due_at) {
    item.state = State::ok;
    item.severity = check::Severity::info;
    return;
  }
  const auto verdict = judge(*item.due_at, options);
  item.state = verdict.state;
  item.severity = verdict.severity;
}

void sort_worst_first(std::vector<Item>& items) {
  const auto key = [](const Item& i) {
    // Items without a schedule sort after dated ones of the same state.
    const auto when =
        i.due_at ? i.due_at->time_since_epoch().count() : std::numeric_limits<std::int64_t>::max();
    return std::make_tuple(-static_cast<int>(i.state), -static_cast<int>(i.severity), when, i.ns,
                           i.kind, i.subject);
  };
  std::stable_sort(items.begin(), items.end(),
                   [&](const Item& a, const Item& b) { return key(a) < key(b); });
}

std::vector<Item> evaluate(keyring::Keyring& keyring, const std::vector<std::string>& namespaces,
                           const Options& options) {
  const auto names = namespaces.empty() ? keyring.namespace_names() : namespaces;
  std::vector<Item> items;
  for (const auto& name : names) {
    auto& ns = keyring.ns(name);
    const Scope scope{keyring, ns, options};
    for (const auto& provider : registered_providers()) {
      if (!options.kinds.empty() && !options.kinds.contains(std::string(provider.kind))) continue;
      auto found = provider.evaluate(scope);
      items.insert(items.end(), std::make_move_iterator(found.begin()),
                   std::make_move_iterator(found.end()));
    }
  }
  sort_worst_first(items);
  return items;
}

bool any_late(const std::vector<Item>& items) {
  return std::any_of(items.begin(), items.end(),
                     [](const Item& i) { return i.state != State::ok; });
}

}  // namespace ward::policy
