// Redaction jobs from their run records (src/redact/run_record.cpp): the last run of each job,
// what the runs in the window redacted per detector, and whether the job kept its schedule —
// the schedule verdict is the policy module's, the same one `ward status` gives.
#include "sections.hpp"
#include "ward/redact/run_record.hpp"

namespace ward::report::detail {

void redaction(keyring::Namespace& ns, const Options& options, Report& report) {
  report.redaction.run_records_available = true;
  const auto from = options.now - options.since;
  RedactionJob* job = nullptr;
  for (const auto& run : redact::list_runs(ns)) {  // oldest first per job, jobs by name
    if (job == nullptr || job->job != run.job) {
      job = &report.redaction.jobs.emplace_back();
      job->ns = ns.name();
      job->job = run.job;
    }
    job->last_started = run.started;
    job->last_status = run.status;
    job->last_error = run.error;
    job->last_duration_ms = run.duration_ms;
    job->last_items = run.items;
    job->expect_every = run.expect_every;
    if (util::parse_time(run.started) >= from) {
      ++job->runs_in_window;
      if (run.status != "ok") ++job->failed_in_window;
      job->items_in_window += run.items;
      for (const auto& [detector, n] : run.detectors) job->detectors_in_window[detector] += n;
    }
  }

  for (auto& entry : report.redaction.jobs) {
    if (entry.ns != ns.name()) continue;
    const auto id = ns.object_id("redact-job:" + entry.job);
    for (const auto& item : report.policy_items) {
      if (item.kind != "redaction" || item.ns != entry.ns || item.subject_id != id) continue;
      entry.schedule = item.state;
      entry.due_at = item.due_at;
      if (item.state != policy::State::ok) {
        const bool overdue = item.state == policy::State::overdue;
        report.findings.push_back(
            {overdue ? "redaction.schedule.overdue" : "redaction.schedule.due",
             "redaction",
             overdue ? check::Severity::high : check::Severity::medium,
             entry.ns,
             entry.job,
             item.message,
             {}});
      }
    }
    if (entry.last_status != "ok") {
      report.findings.push_back({"redaction.run.failed",
                                 "redaction",
                                 check::Severity::high,
                                 entry.ns,
                                 entry.job,
                                 "the last run (" + entry.last_started + ") failed: " +
                                     (entry.last_error.empty() ? "no message" : entry.last_error),
                                 {}});
    }
  }
}

}  // namespace ward::report::detail
