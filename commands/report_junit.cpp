#include <set>

#include "junit.hpp"
#include "report_format.hpp"

namespace ward::cli::report_format {
namespace {

// The finding id the report gives the same verdict, so a CI system groups a policy test's
// failure with the finding of that name.
std::string policy_failure_id(const policy::Item& item) {
  const bool overdue = item.state == policy::State::overdue;
  if (item.kind == "certificate") return overdue ? "certificate.expired" : "certificate.expiring";
  const auto* family =
      item.kind == "credential" || item.kind == "key" ? ".rotation." : ".schedule.";
  return item.kind + family + std::string(policy::to_string(item.state));
}

}  // namespace

std::string junit(const report::Report& r) {
  // Policy items (one test per judged subject, failing when due or overdue) and the integrity
  // of the trail are what a CI gate wants to see as tests; other findings are failures of the
  // section they belong to.
  junit::Suite policy_suite{"ward audit report: schedules", r.generated_at, {}};
  std::set<std::string> policy_failures;  // ns/subject/id, reported by the policy suite
  for (const auto& item : r.policy_items) {
    junit::TestCase test;
    test.name = (item.ns.empty() ? "" : item.ns + "/") + item.subject;
    test.classname = "ward.audit." + item.kind;
    test.system_out = item.message;
    if (item.state != policy::State::ok) {
      const auto id = policy_failure_id(item);
      policy_failures.insert(item.ns + "/" + item.subject + "/" + id);
      test.failures.push_back(
          {id, item.message, item.due_at ? "due " + util::format_time(*item.due_at) : ""});
    }
    policy_suite.cases.push_back(std::move(test));
  }

  junit::Suite findings_suite{"ward audit report: findings", r.generated_at, {}};
  junit::TestCase integrity;
  integrity.name = "audit trail";
  integrity.classname = "ward.audit.integrity";
  integrity.system_out =
      std::to_string(r.audit.events) + " events, head " + std::to_string(r.audit.head_seq);
  for (const auto& p : r.audit.problems) integrity.failures.push_back({"audit.integrity", p, ""});
  findings_suite.cases.push_back(std::move(integrity));
  for (const auto& f : r.findings) {
    // Policy verdicts and integrity problems are tests of their own above (a verdict's finding
    // may name its subject differently, so due and overdue ids are matched by their suffix).
    const bool verdict = f.id.ends_with(".due") || f.id.ends_with(".overdue");
    if (policy_failures.contains(f.ns + "/" + f.subject + "/" + f.id) || verdict ||
        f.id == "audit.integrity" || f.severity == check::Severity::info)
      continue;
    junit::TestCase test;
    test.name =
        (f.ns.empty() ? "" : f.ns + "/") + (f.subject.empty() ? f.id : f.subject) + ": " + f.id;
    test.classname = "ward.audit." + f.section;
    std::string controls;
    for (const auto& c : f.controls) controls += (controls.empty() ? "" : ", ") + c;
    test.failures.push_back({f.id, f.message,
                             "severity " + std::string(check::to_string(f.severity)) +
                                 (controls.empty() ? "" : "; controls " + controls)});
    findings_suite.cases.push_back(std::move(test));
  }
  return junit::to_xml({policy_suite, findings_suite});
}

}  // namespace ward::cli::report_format
