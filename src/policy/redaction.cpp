// Redaction jobs against their `expect_every`: a job whose last run (from its run records in the
// store) is older than its schedule is overdue. Jobs without a schedule have nothing to be
// late for; a failed last run still counts as a run, and its message says it failed.
#include "providers.hpp"
#include "ward/redact/run_record.hpp"

namespace ward::policy::providers {

std::vector<Item> redaction(const Scope& scope) {
  std::vector<Item> items;
  for (const auto& run : redact::list_runs(scope.ns, {.job = std::nullopt, .latest_only = true})) {
    if (!run.expect_every) continue;
    Item item;
    item.kind = "redaction";
    item.subject_id = scope.ns.object_id("redact-job:" + run.job);
    item.subject = run.job;
    item.ns = scope.ns.name();
    item.due_at = util::parse_time(run.started) + *run.expect_every;
    settle(item, scope.options);
    const auto last = "last run " + util::format_time(util::parse_time(run.started)) +
                      (run.status == "ok" ? "" : " (" + run.status + ")");
    const auto every = util::format_duration(*run.expect_every);
    switch (item.state) {
      case State::overdue:
        item.message = "redaction job overdue: " + last + ", expected every " + every;
        break;
      case State::due:
        item.message = "redaction job due " + util::format_time(*item.due_at) + "; " + last;
        break;
      case State::ok:
        item.message = last + ", next due " + util::format_time(*item.due_at);
        break;
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace ward::policy::providers
