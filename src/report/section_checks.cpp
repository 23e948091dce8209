#include "sections.hpp"
#include "ward/check/results.hpp"
#include "ward/error.hpp"

namespace ward::report::detail {

void checks(keyring::Namespace& ns, const Options& options, Report& report) {
  check::ResultStore results(ns);
  for (const auto& probe : results.latest_all()) {
    CheckResult entry;
    entry.ns = ns.name();
    entry.kind = probe.kind;
    entry.target = probe.target;
    entry.status = std::string(check::to_string(probe.status));
    entry.checked_at = probe.checked_at;
    for (const auto& f : probe.findings) {
      ++entry.findings_by_severity[std::string(check::to_string(f.severity))];
      // Info findings are facts (TLS 1.3 offered…), not problems to summarise.
      if (f.severity != check::Severity::info) {
        report.findings.push_back({f.id,
                                   "checks",
                                   f.severity,
                                   ns.name(),
                                   probe.kind + " " + probe.target,
                                   f.message,
                                   {}});
      }
    }
    entry.findings = probe.findings;
    if (const auto after = probe.facts.find("cert_not_after");
        after != probe.facts.end() && after->is_string() && !after->get<std::string>().empty()) {
      entry.cert_not_after = after->get<std::string>();
      try {
        const auto not_after = util::parse_time(*entry.cert_not_after);
        entry.cert_days_left =
            std::chrono::duration_cast<std::chrono::hours>(not_after - options.now).count() / 24;
      } catch (const Error&) {
        // A date this build cannot read: shown as stored, not judged.
      }
    }
    report.checks.push_back(std::move(entry));
  }
  // Certificates due or expired come from the policy items, the same verdict `status` gives.
  for (const auto& item : report.policy_items) {
    if (item.kind != "certificate" || item.ns != ns.name() || item.state == policy::State::ok)
      continue;
    const bool expired = item.state == policy::State::overdue;
    report.findings.push_back({expired ? "certificate.expired" : "certificate.expiring",
                               "checks",
                               expired ? check::Severity::critical : check::Severity::medium,
                               ns.name(),
                               item.subject,
                               item.message,
                               {}});
  }
}

}  // namespace ward::report::detail
