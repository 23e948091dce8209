#include "providers.hpp"
#include "ward/check/results.hpp"
#include "ward/error.hpp"

namespace ward::policy::providers {

std::vector<Item> certificates(const Scope& scope) {
  check::ResultStore results(scope.ns);
  std::vector<Item> items;
  for (const auto& probe : results.latest_all()) {
    const auto found = probe.facts.find("cert_not_after");
    if (found == probe.facts.end() || !found->is_string() || found->get<std::string>().empty())
      continue;  // no certificate seen (ssh, plaintext, or the handshake failed)
    const auto not_after_text = found->get<std::string>();
    util::TimePoint not_after;
    try {
      not_after = util::parse_time(not_after_text);
    } catch (const Error&) {
      continue;  // a result written by a newer ward with another format: nothing to judge
    }
    Item item;
    item.kind = "certificate";
    item.subject_id = scope.ns.object_id(probe.kind + ":" + probe.target);
    item.subject = probe.target;
    item.ns = scope.ns.name();
    item.due_at = not_after;
    settle(item, scope.options);
    const auto seen = " (" + probe.kind + " check " + probe.checked_at + ")";
    switch (item.state) {
      case State::overdue:
        item.message = "certificate expired " + not_after_text;
        break;
      case State::due:
        item.message = "certificate expires " + not_after_text;
        break;
      case State::ok:
        item.message = "certificate valid until " + not_after_text;
        break;
    }
    item.message += seen;
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace ward::policy::providers
