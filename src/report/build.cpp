#include <algorithm>

#include "sections.hpp"
#include "ward/report/report.hpp"

namespace ward::report {

Report build(keyring::Keyring& keyring, audit::Log& log, const Options& options) {
  Report report;
  report.generated_at = util::format_time(options.now);
  report.store_id = keyring.config().store_id;
  report.since = util::format_time(options.now - options.since);
  report.window = options.window;
  report.retention = options.retention;
  report.kek_max_age = keyring.config().kek_max_age;
  report.namespaces = options.namespaces.empty()
                          ? keyring.namespace_names(&report.unreadable_namespaces)
                          : options.namespaces;
  for (const auto& id : report.unreadable_namespaces) {
    report.findings.push_back({"key.namespace.unreadable",
                               "keys",
                               check::Severity::critical,
                               "",
                               id,
                               "namespace keys fail authentication: its data cannot be read",
                               {}});
  }

  // Every due/overdue verdict is the policy module's, the same one `ward status` gives.
  policy::Options judged;
  judged.now = options.now;
  judged.window = options.window;
  report.policy_items = policy::evaluate(keyring, report.namespaces, judged);

  for (const auto& name : report.namespaces) {
    auto& ns = keyring.ns(name);
    detail::credentials(ns, options, report);
    detail::keys(keyring, ns, options, report);
    detail::checks(ns, options, report);
    detail::backups(ns, options, report);
    detail::redaction(ns, options, report);
  }
  detail::audit_trail(keyring, log, options, report);
  detail::findings(report);
  return report;
}

}  // namespace ward::report
