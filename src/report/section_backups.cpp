#include <map>
#include <set>

#include "sections.hpp"
#include "ward/backup/repository.hpp"

namespace ward::report::detail {
namespace {

constexpr std::int64_t k_day = std::int64_t{24} * 3600;

std::int64_t day_index(util::TimePoint t) {
  const auto s = t.time_since_epoch().count();
  return s >= 0 ? s / k_day : (s - k_day + 1) / k_day;
}
// ISO weeks start on Monday; 1970-01-01 was a Thursday, so day + 3 counts from a Monday.
std::int64_t week_index(util::TimePoint t) {
  const auto d = day_index(t) + 3;
  return d >= 0 ? d / 7 : (d - 6) / 7;
}

}  // namespace

void backups(keyring::Namespace& ns, const Options& options, Report& report) {
  backup::Repository repository(ns);
  std::vector<std::string> problems;
  const auto snapshots = repository.snapshots(&problems);
  for (const auto& p : problems) {
    report.findings.push_back(
        {"backup.snapshot.unreadable", "backups", check::Severity::high, ns.name(), "", p, {}});
  }
  std::map<std::string, std::vector<const backup::Snapshot*>> by_source;
  for (const auto& s : snapshots) by_source[s.source].push_back(&s);
  const auto today = day_index(options.now);
  const auto this_week = week_index(options.now);
  for (const auto& [source, list] : by_source) {
    BackupSource entry;
    entry.ns = ns.name();
    entry.source = source;
    entry.snapshots = list.size();
    std::set<std::int64_t> days;
    std::set<std::int64_t> weeks;
    for (const auto* s : list) {
      if (s->time >= entry.last_snapshot || entry.last_snapshot_id.empty()) {
        entry.last_snapshot = s->time;
        entry.last_snapshot_id = s->id;
      }
      const auto d = day_index(s->time);
      const auto w = week_index(s->time);
      if (d <= today && d > today - options.retention.daily) days.insert(d);
      if (w <= this_week && w > this_week - options.retention.weekly) weeks.insert(w);
    }
    entry.daily_kept = static_cast<int>(days.size());
    entry.weekly_kept = static_cast<int>(weeks.size());
    entry.compliant = entry.daily_kept >= options.retention.daily &&
                      entry.weekly_kept >= options.retention.weekly;
    const auto subject = source.empty() ? std::string("(unnamed source)") : source;
    if (!entry.compliant) {
      report.findings.push_back(
          {"backup.retention.incomplete",
           "backups",
           check::Severity::medium,
           ns.name(),
           subject,
           std::to_string(entry.daily_kept) + " of " + std::to_string(options.retention.daily) +
               " daily and " + std::to_string(entry.weekly_kept) + " of " +
               std::to_string(options.retention.weekly) + " weekly snapshots present",
           {}});
    }
    if (options.now - entry.last_snapshot > std::chrono::hours(36)) {
      report.findings.push_back(
          {"backup.stale",
           "backups",
           check::Severity::high,
           ns.name(),
           subject,
           "last snapshot " + util::format_time(entry.last_snapshot) + " is older than a day",
           {}});
    }
    report.backups.push_back(std::move(entry));
  }
}

}  // namespace ward::report::detail
