#include "junit.hpp"
#include "report_format.hpp"

namespace ward::cli::report_format {

std::string junit(const report::Report& r) {
  // Policy items (one test per judged subject, failing when due or overdue) and the integrity
  // of the trail are what a CI gate wants to see as tests; other findings are failures of the
  // section they belong to.
  junit::Suite policy_suite{"ward audit report: schedules", r.generated_at, {}};
  for (const auto& item : r.policy_items) {
    junit::TestCase test;
    test.name = (item.ns.empty() ? "" : item.ns + "/") + item.subject;
    test.classname = "ward.audit." + item.kind;
    test.system_out = item.message;
    if (item.state != policy::State::ok) {
      test.failures.push_back(
          {item.kind + ".rotation." + std::string(policy::to_string(item.state)), item.message,
           item.due_at ? "due " + util::format_time(*item.due_at) : ""});
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
    // Policy verdicts and integrity problems are tests of their own above.
    if (f.id.find(".rotation.") != std::string::npos ||
        f.id.find(".schedule.") != std::string::npos || f.id == "audit.integrity" ||
        f.severity == check::Severity::info)
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
