#include <algorithm>

#include "sections.hpp"
#include "ward/error.hpp"

namespace ward::report::detail {
namespace {

bool in_scope(const Options& options, const audit::Event& e) {
  return options.namespaces.empty() ||
         std::find(options.namespaces.begin(), options.namespaces.end(), e.ns) !=
             options.namespaces.end();
}

}  // namespace

void audit_trail(keyring::Keyring& keyring, audit::Log& log, const Options& options,
                 Report& report) {
  const auto verified = log.verify(std::nullopt, keyring.checkpoint_public_key());
  // Activity is counted from the events themselves; a trail that fails verification may hold
  // events that do not authenticate, and then the report says it cannot count them.
  std::vector<audit::Event> events;
  try {
    events = log.read();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::auth) throw;
    report.audit.activity_unavailable = std::string("activity not counted: ") + e.what();
  }
  auto& a = report.audit;
  a.verified = verified.ok();
  a.events = verified.events;
  a.head_seq = verified.head_seq;
  a.head_hash = verified.head_hash;
  a.problems = verified.problems;
  if (verified.checkpoint) a.last_checkpoint = verified.checkpoint->line();
  a.checkpoint_matched = verified.checkpoint_matched;
  for (const auto& p : verified.problems) {
    report.findings.push_back(
        {"audit.integrity", "audit", check::Severity::critical, "", "audit trail", p, {}});
  }
  if (!verified.checkpoint) {
    report.findings.push_back({"audit.checkpoint.missing",
                               "audit",
                               check::Severity::low,
                               "",
                               "audit trail",
                               "no signed checkpoint: truncation of the trail cannot be detected",
                               {}});
  }

  std::map<std::string, BackupVerify> last_verify;  // ns → newest backup.verify
  for (const auto& e : events) {
    if (!in_scope(options, e)) continue;
    if (e.action == "backup.verify") {
      const auto count = [&](const char* key) {
        return e.details.is_object() ? e.details.value(key, std::uint64_t{0}) : 0;
      };
      BackupVerify v{e.ns, e.time, e.outcome, count("problems"), count("packs_read") > 0};
      last_verify[e.ns] = v;
    }
    if (e.time < report.since) continue;
    ++a.events_in_window;
    ++a.actions_by_actor[e.actor.display()][e.action];
    ++a.events_by_day[e.time.substr(0, 10)];
    if (e.outcome != "ok") ++a.failures_by_action[e.action];
    if (e.action.starts_with("redact.")) {
      ++report.redaction.events_by_action[e.action];
      if (e.action == "redact.run") report.redaction.last_run = e.time;
    }
  }
  for (auto& [ns, v] : last_verify) {
    if (v.outcome != "ok") {
      report.findings.push_back({"backup.verify.failed",
                                 "backups",
                                 check::Severity::high,
                                 ns,
                                 "backups",
                                 "the last backup verify (" + v.time + ") failed",
                                 {}});
    }
    report.backup_verifies.push_back(std::move(v));
  }
  for (const auto& ns : report.namespaces) {
    const bool has_backups = std::any_of(report.backups.begin(), report.backups.end(),
                                         [&](const BackupSource& b) { return b.ns == ns; });
    if (has_backups && !last_verify.contains(ns)) {
      report.findings.push_back({"backup.verify.missing",
                                 "backups",
                                 check::Severity::medium,
                                 ns,
                                 "backups",
                                 "backups have never been verified (ward backup verify)",
                                 {}});
    }
  }
  std::size_t failures = 0;
  for (const auto& [action, n] : a.failures_by_action) failures += n;
  if (failures > 0) {
    report.findings.push_back({"audit.failures",
                               "audit",
                               check::Severity::info,
                               "",
                               "audit trail",
                               std::to_string(failures) + " failed action(s) in the window",
                               {}});
  }
}

}  // namespace ward::report::detail
