#include <map>
#include <sstream>

#include "report_format.hpp"

namespace ward::cli::report_format {
namespace {

// Table cells cannot hold a pipe or a line break.
std::string cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void table(std::ostringstream& out, const std::vector<std::string>& headers,
           const std::vector<std::vector<std::string>>& rows) {
  out << "|";
  for (const auto& h : headers) out << " " << h << " |";
  out << "\n|";
  for (std::size_t i = 0; i < headers.size(); ++i) out << " --- |";
  out << "\n";
  for (const auto& row : rows) {
    out << "|";
    for (const auto& c : row) out << " " << cell(c) << " |";
    out << "\n";
  }
  out << "\n";
}

std::string opt_date(const std::optional<util::TimePoint>& t) {
  return t ? util::format_time(*t) : "-";
}

}  // namespace

std::string date_of(const std::string& rfc3339) { return rfc3339.substr(0, 10); }

std::string detector_counts(const std::map<std::string, std::uint64_t>& counts) {
  std::string out;
  for (const auto& [detector, n] : counts) {
    if (!out.empty()) out += ", ";
    out += detector + " " + std::to_string(n);
  }
  return out.empty() ? "-" : out;
}

std::string severity_counts(const report::Report& r) {
  std::map<check::Severity, std::size_t> counts;
  for (const auto& f : r.findings) ++counts[f.severity];
  std::string out;
  // Worst first; a reverse iterator, not std::views::reverse, which clang 14 cannot build here.
  for (auto entry = counts.rbegin(); entry != counts.rend(); ++entry) {
    const auto& [severity, n] = *entry;
    if (!out.empty()) out += ", ";
    out += std::to_string(n) + " " + std::string(check::to_string(severity));
  }
  return out.empty() ? "no findings" : out;
}

std::string markdown(const report::Report& r) {
  std::ostringstream out;
  out << "# ward audit report\n\n";
  out << "- Store: `" << r.store_id << "`\n";
  out << "- Generated: " << r.generated_at << "\n";
  out << "- Activity since: " << r.since << "; due window: " << util::format_duration(r.window)
      << "\n";
  out << "- Namespaces: ";
  for (std::size_t i = 0; i < r.namespaces.size(); ++i) out << (i ? ", " : "") << r.namespaces[i];
  out << "\n- Findings: " << severity_counts(r) << "\n\n";

  out << "## Findings summary\n\n";
  if (r.findings.empty()) {
    out << "No findings.\n\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : r.findings) {
      std::string controls;
      for (const auto& c : f.controls) controls += (controls.empty() ? "" : ", ") + c;
      rows.push_back({std::string(check::to_string(f.severity)), f.id, f.section, f.ns, f.subject,
                      f.message, controls});
    }
    table(out, {"Severity", "Finding", "Section", "Namespace", "Subject", "Message", "Controls"},
          rows);
    out << "Controls (" << r.control_framework << "):\n\n";
    for (const auto& [id, title] : r.control_titles) out << "- **" << id << "** " << title << "\n";
    out << "\n";
  }

  out << "## Credentials\n\n";
  if (r.credentials.empty()) {
    out << "No data: no credentials are stored in these namespaces.\n\n";
  } else {
    std::map<std::string, std::map<std::string, std::size_t>> inventory;
    for (const auto& c : r.credentials) ++inventory[c.ns][c.type];
    std::vector<std::vector<std::string>> inv;
    for (const auto& [ns, types] : inventory)
      for (const auto& [type, n] : types) inv.push_back({ns, type, std::to_string(n)});
    table(out, {"Namespace", "Type", "Count"}, inv);
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : r.credentials) {
      rows.push_back(
          {c.ns, c.name, c.type, c.current_version ? std::to_string(c.current_version) : "-",
           date_of(c.created), c.last_rotated, std::to_string(c.age_days),
           c.rotate_every ? util::format_duration(*c.rotate_every) : "-",
           c.current_version == 0 ? "revoked" : std::string(policy::to_string(c.rotation)),
           opt_date(c.due_at), std::to_string(c.revoked_versions), c.strength});
    }
    table(out,
          {"Namespace", "Name", "Type", "Version", "Created", "Last rotation", "Age (days)",
           "Policy", "Rotation", "Due", "Revoked versions", "Strength"},
          rows);
  }

  out << "## Keys\n\n";
  out << "Rotation policy: " << util::format_duration(r.kek_max_age) << ".\n\n";
  if (r.keys.empty()) {
    out << "No data: no key versions could be read.\n\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& k : r.keys) {
      rows.push_back({k.ns, "v" + std::to_string(k.version), util::format_time(k.created),
                      std::to_string(k.age_days), std::to_string(k.objects), k.state,
                      std::string(policy::to_string(k.rotation)), opt_date(k.due_at)});
    }
    table(out,
          {"Namespace", "Version", "Created", "Age (days)", "Objects", "State", "Rotation", "Due"},
          rows);
  }

  out << "## Checks\n\n";
  if (r.checks.empty()) {
    out << "No data: no stored check results (run `ward check all`).\n\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : r.checks) {
      std::string counts;
      for (const auto& [s, n] : c.findings_by_severity)
        counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + s;
      rows.push_back({c.ns, c.kind, c.target, c.status, c.checked_at, counts.empty() ? "-" : counts,
                      c.cert_not_after ? *c.cert_not_after : "-",
                      c.cert_days_left ? std::to_string(*c.cert_days_left) : "-"});
    }
    table(out,
          {"Namespace", "Kind", "Target", "Status", "Checked", "Findings", "Certificate expires",
           "Days left"},
          rows);
  }

  out << "## Backups\n\n";
  out << "Retention policy: " << r.retention.daily << " daily, " << r.retention.weekly
      << " weekly.\n\n";
  if (r.backups.empty()) {
    out << "No data: no backup snapshots in these namespaces.\n\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& b : r.backups) {
      rows.push_back({b.ns, b.source.empty() ? "(unnamed)" : b.source, std::to_string(b.snapshots),
                      util::format_time(b.last_snapshot), b.last_snapshot_id.substr(0, 8),
                      std::to_string(b.daily_kept) + "/" + std::to_string(r.retention.daily),
                      std::to_string(b.weekly_kept) + "/" + std::to_string(r.retention.weekly),
                      b.compliant ? "yes" : "no"});
    }
    table(
        out,
        {"Namespace", "Source", "Snapshots", "Last snapshot", "Id", "Daily", "Weekly", "Compliant"},
        rows);
  }
  if (r.backup_verifies.empty()) {
    out << "No backup verification is recorded in the audit trail.\n\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : r.backup_verifies) {
      rows.push_back(
          {v.ns, v.time, v.outcome, std::to_string(v.problems), v.read_data ? "yes" : "no"});
    }
    table(out, {"Namespace", "Last verify", "Outcome", "Problems", "Data read"}, rows);
  }

  out << "## Redaction\n\n";
  if (r.redaction.jobs.empty()) {
    out << "No data: no redaction job has run in these namespaces (no run records).\n\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& j : r.redaction.jobs) {
      rows.push_back({j.ns, j.job, j.last_started,
                      j.last_status == "ok" ? "ok" : "**" + j.last_status + "**",
                      std::to_string(j.last_items), std::to_string(j.runs_in_window),
                      std::to_string(j.items_in_window), detector_counts(j.detectors_in_window),
                      j.expect_every ? util::format_duration(*j.expect_every) : "-",
                      j.expect_every ? std::string(policy::to_string(j.schedule)) : "unscheduled"});
    }
    table(out,
          {"Namespace", "Job", "Last run", "Status", "Items", "Runs in window", "Items in window",
           "By detector (window)", "Expected every", "Schedule"},
          rows);
  }
  if (!r.redaction.events_by_action.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [action, n] : r.redaction.events_by_action)
      rows.push_back({action, std::to_string(n)});
    table(out, {"Audited action", "Events"}, rows);
  }

  out << "## Audit integrity\n\n";
  const auto& a = r.audit;
  out << "- Chain verified: " << (a.verified ? "yes" : "**NO**") << " (" << a.events
      << " events, head " << a.head_seq << " `" << a.head_hash.substr(0, 16) << "`)\n";
  out << "- Last checkpoint: " << (a.last_checkpoint ? "`" + *a.last_checkpoint + "`" : "none")
      << (a.last_checkpoint ? (a.checkpoint_matched ? " (matches)" : " (does NOT match)") : "")
      << "\n";
  out << "- Events in the window: " << a.events_in_window << "\n\n";
  if (!a.problems.empty()) {
    out << "Problems found:\n\n";
    for (const auto& p : a.problems) out << "- " << p << "\n";
    out << "\n";
  }
  if (!a.activity_unavailable.empty()) {
    out << "Activity could not be counted: " << a.activity_unavailable << "\n\n";
  } else if (a.actions_by_actor.empty()) {
    out << "No data: no audited actions in the window.\n\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [actor, actions] : a.actions_by_actor)
      for (const auto& [action, n] : actions) rows.push_back({actor, action, std::to_string(n)});
    table(out, {"Actor", "Action", "Events"}, rows);
    std::vector<std::vector<std::string>> days;
    for (const auto& [day, n] : a.events_by_day) days.push_back({day, std::to_string(n)});
    table(out, {"Day", "Events"}, days);
  }
  return out.str();
}

}  // namespace ward::cli::report_format
