#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "report_format.hpp"

namespace ward::cli::report_format {
namespace {

std::string esc(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  for (const char c : in) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr const char* k_style = R"css(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f23;margin:2em auto;max-width:1100px;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #d0d7de;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;width:100%;margin:.6em 0 1.2em;font-size:.92em}
th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa}tr:nth-child(even) td{background:#fbfcfd}
.meta{color:#57606a}.nodata{color:#57606a;font-style:italic}
.sev{font-weight:600;border-radius:3px;padding:0 .4em;color:#fff}
.critical{background:#8b0000}.high{background:#cf222e}.medium{background:#bc4c00}.low{background:#9a6700}.info{background:#57606a}
.overdue{color:#cf222e;font-weight:600}.due{color:#bc4c00;font-weight:600}.ok{color:#1a7f37}
.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37;font-weight:600}
svg{display:block;margin:.5em 0 1em;max-width:100%}svg text{font:11px system-ui,sans-serif;fill:#1b1f23}
code{font:12px ui-monospace,monospace;word-break:break-all}
@media print{body{margin:0;max-width:none;font-size:11px}section{break-inside:avoid-page}h2{break-after:avoid}a{color:inherit}}
)css";

std::string state_span(const std::string& state) {
  return "<span class=\"" + esc(state) + "\">" + esc(state) + "</span>";
}

std::string sev_span(check::Severity s) {
  const std::string name(check::to_string(s));
  return "<span class=\"sev " + name + "\">" + name + "</span>";
}

void table(std::ostringstream& out, const std::vector<std::string>& headers,
           const std::vector<std::vector<std::string>>& rows_html) {
  out << "<table><thead><tr>";
  for (const auto& h : headers) out << "<th>" << esc(h) << "</th>";
  out << "</tr></thead><tbody>\n";
  for (const auto& row : rows_html) {
    out << "<tr>";
    for (const auto& c : row) out << "<td>" << c << "</td>";
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
}

void nodata(std::ostringstream& out, const std::string& text) {
  out << "<p class=\"nodata\">" << esc(text) << "</p>\n";
}

// A horizontal bar chart: one labelled bar per entry, scaled to the largest value.
void bar_chart(std::ostringstream& out, const std::string& title,
               const std::vector<std::tuple<std::string, double, std::string>>& bars,
               const std::string& unit) {
  const int row = 20;
  const int label_width = 260;
  const int bar_width = 560;
  double max = 0;
  for (const auto& [label, value, color] : bars) max = std::max(max, std::abs(value));
  if (max <= 0) max = 1;
  const auto height = static_cast<int>(bars.size()) * row + 24;
  out << "<svg role=\"img\" aria-label=\"" << esc(title) << "\" width=\""
      << label_width + bar_width + 80 << "\" height=\"" << height << "\" viewBox=\"0 0 "
      << label_width + bar_width + 80 << " " << height << "\"><title>" << esc(title) << "</title>";
  int y = 16;
  for (const auto& [label, value, color] : bars) {
    const auto w = std::max(1.0, std::abs(value) / max * bar_width);
    out << "<text x=\"" << label_width - 6 << "\" y=\"" << y + 11 << "\" text-anchor=\"end\">"
        << esc(label.size() > 40 ? label.substr(0, 39) + "…" : label) << "</text>"
        << "<rect x=\"" << label_width << "\" y=\"" << y << "\" width=\"" << w
        << "\" height=\"14\" fill=\"" << color << "\"/>"
        << "<text x=\"" << label_width + w + 4 << "\" y=\"" << y + 11 << "\">"
        << static_cast<long long>(value) << " " << esc(unit) << "</text>";
    y += row;
  }
  out << "</svg>\n";
}

std::string color_of(check::Severity s) {
  switch (s) {
    case check::Severity::critical:
      return "#8b0000";
    case check::Severity::high:
      return "#cf222e";
    case check::Severity::medium:
      return "#bc4c00";
    case check::Severity::low:
      return "#9a6700";
    case check::Severity::info:
      return "#57606a";
  }
  return "#57606a";
}

std::string opt_date(const std::optional<util::TimePoint>& t) {
  return t ? esc(util::format_time(*t)) : "-";
}

}  // namespace

std::string html(const report::Report& r) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      // Nothing on this page may be fetched from anywhere: it is evidence, read offline.
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
         "'unsafe-inline'; img-src data:\">"
      << "<title>ward audit report " << esc(r.store_id) << "</title><style>" << k_style
      << "</style></head><body>\n";
  out << "<h1>ward audit report</h1>\n<p class=\"meta\">Store <code>" << esc(r.store_id)
      << "</code> · generated " << esc(r.generated_at) << " · activity since " << esc(r.since)
      << " · due window " << esc(util::format_duration(r.window)) << " · namespaces ";
  for (std::size_t i = 0; i < r.namespaces.size(); ++i)
    out << (i ? ", " : "") << esc(r.namespaces[i]);
  out << "</p>\n";

  out << "<section id=\"findings\"><h2>Findings summary</h2>\n";
  out << "<p>" << esc(severity_counts(r)) << "</p>\n";
  if (r.findings.empty()) {
    nodata(out, "No findings.");
  } else {
    std::map<check::Severity, std::size_t> counts;
    for (const auto& f : r.findings) ++counts[f.severity];
    std::vector<std::tuple<std::string, double, std::string>> bars;
    for (auto it = counts.rbegin(); it != counts.rend(); ++it)
      bars.emplace_back(std::string(check::to_string(it->first)), static_cast<double>(it->second),
                        color_of(it->first));
    bar_chart(out, "Findings by severity", bars, "");
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : r.findings) {
      std::string controls;
      for (const auto& c : f.controls) controls += (controls.empty() ? "" : ", ") + esc(c);
      rows.push_back({sev_span(f.severity), "<code>" + esc(f.id) + "</code>", esc(f.section),
                      esc(f.ns), esc(f.subject), esc(f.message), controls});
    }
    table(out, {"Severity", "Finding", "Section", "Namespace", "Subject", "Message", "Controls"},
          rows);
    std::vector<std::vector<std::string>> ctl;
    for (const auto& [id, title] : r.control_titles) ctl.push_back({esc(id), esc(title)});
    out << "<p class=\"meta\">Controls: " << esc(r.control_framework) << "</p>\n";
    table(out, {"Control", "What it asks"}, ctl);
  }
  out << "</section>\n";

  out << "<section id=\"credentials\"><h2>Credentials</h2>\n";
  if (r.credentials.empty()) {
    nodata(out, "No data: no credentials are stored in these namespaces.");
  } else {
    std::map<std::string, std::map<std::string, std::size_t>> inventory;
    for (const auto& c : r.credentials) ++inventory[c.ns][c.type];
    std::vector<std::vector<std::string>> inv;
    for (const auto& [ns, types] : inventory)
      for (const auto& [type, n] : types) inv.push_back({esc(ns), esc(type), std::to_string(n)});
    table(out, {"Namespace", "Type", "Count"}, inv);
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : r.credentials) {
      const std::string rotation =
          c.current_version == 0 ? "revoked" : std::string(policy::to_string(c.rotation));
      rows.push_back({esc(c.ns), esc(c.name), esc(c.type),
                      c.current_version ? std::to_string(c.current_version) : "-",
                      esc(date_of(c.created)), esc(c.last_rotated), std::to_string(c.age_days),
                      c.rotate_every ? esc(util::format_duration(*c.rotate_every)) : "-",
                      state_span(rotation), opt_date(c.due_at), std::to_string(c.revoked_versions),
                      c.strength == "weak" ? "<span class=\"bad\">weak</span>" : esc(c.strength)});
    }
    table(out,
          {"Namespace", "Name", "Type", "Version", "Created", "Last rotation", "Age (days)",
           "Policy", "Rotation", "Due", "Revoked versions", "Strength"},
          rows);
  }
  out << "</section>\n";

  out << "<section id=\"keys\"><h2>Keys</h2>\n<p>Rotation policy: "
      << esc(util::format_duration(r.kek_max_age)) << "</p>\n";
  if (r.keys.empty()) {
    nodata(out, "No data: no key versions could be read.");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& k : r.keys) {
      rows.push_back({esc(k.ns), "v" + std::to_string(k.version), esc(util::format_time(k.created)),
                      std::to_string(k.age_days), std::to_string(k.objects), esc(k.state),
                      state_span(std::string(policy::to_string(k.rotation))), opt_date(k.due_at)});
    }
    table(out,
          {"Namespace", "Version", "Created", "Age (days)", "Objects", "State", "Rotation", "Due"},
          rows);
  }
  out << "</section>\n";

  out << "<section id=\"checks\"><h2>Checks</h2>\n";
  if (r.checks.empty()) {
    nodata(out, "No data: no stored check results (run `ward check all`).");
  } else {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::tuple<std::string, double, std::string>> timeline;
    for (const auto& c : r.checks) {
      std::string counts;
      for (const auto& [s, n] : c.findings_by_severity)
        counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + esc(s);
      rows.push_back({esc(c.ns), esc(c.kind), esc(c.target),
                      c.status == "pass" ? "<span class=\"good\">pass</span>"
                                         : "<span class=\"bad\">" + esc(c.status) + "</span>",
                      esc(c.checked_at), counts.empty() ? "-" : counts,
                      c.cert_not_after ? esc(*c.cert_not_after) : "-"});
      if (c.cert_days_left) {
        const auto d = *c.cert_days_left;
        timeline.emplace_back(
            c.target, static_cast<double>(d),
            d < 0 ? "#8b0000" : (d <= r.window.count() / 86400 ? "#bc4c00" : "#1a7f37"));
      }
    }
    table(out,
          {"Namespace", "Kind", "Target", "Status", "Checked", "Findings", "Certificate expires"},
          rows);
    out << "<h3>Certificate expiry timeline</h3>\n";
    if (timeline.empty()) {
      nodata(out, "No certificates were seen by the stored checks.");
    } else {
      std::sort(timeline.begin(), timeline.end(),
                [](const auto& a, const auto& b) { return std::get<1>(a) < std::get<1>(b); });
      bar_chart(out, "Days until each certificate expires", timeline, "days");
    }
  }
  out << "</section>\n";

  out << "<section id=\"backups\"><h2>Backups</h2>\n<p>Retention policy: " << r.retention.daily
      << " daily, " << r.retention.weekly << " weekly.</p>\n";
  if (r.backups.empty()) {
    nodata(out, "No data: no backup snapshots in these namespaces.");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& b : r.backups) {
      rows.push_back(
          {esc(b.ns), esc(b.source.empty() ? "(unnamed)" : b.source), std::to_string(b.snapshots),
           esc(util::format_time(b.last_snapshot)),
           "<code>" + esc(b.last_snapshot_id.substr(0, 8)) + "</code>",
           std::to_string(b.daily_kept) + "/" + std::to_string(r.retention.daily),
           std::to_string(b.weekly_kept) + "/" + std::to_string(r.retention.weekly),
           b.compliant ? "<span class=\"good\">yes</span>" : "<span class=\"bad\">no</span>"});
    }
    table(
        out,
        {"Namespace", "Source", "Snapshots", "Last snapshot", "Id", "Daily", "Weekly", "Compliant"},
        rows);
  }
  if (r.backup_verifies.empty()) {
    nodata(out, "No backup verification is recorded in the audit trail.");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : r.backup_verifies)
      rows.push_back({esc(v.ns), esc(v.time), state_span(v.outcome == "ok" ? "ok" : "overdue"),
                      std::to_string(v.problems), v.read_data ? "yes" : "no"});
    table(out, {"Namespace", "Last verify", "Outcome", "Problems", "Data read"}, rows);
  }
  out << "</section>\n";

  out << "<section id=\"redaction\"><h2>Redaction</h2>\n";
  if (r.redaction.jobs.empty()) {
    nodata(out, "No data: no redaction job has run in these namespaces (no run records).");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& j : r.redaction.jobs) {
      rows.push_back(
          {esc(j.ns), esc(j.job), esc(j.last_started),
           j.last_status == "ok" ? state_span("ok")
                                 : "<span class=\"overdue\">" + esc(j.last_status) + "</span>",
           std::to_string(j.last_items), std::to_string(j.runs_in_window),
           std::to_string(j.items_in_window), esc(detector_counts(j.detectors_in_window)),
           j.expect_every ? esc(util::format_duration(*j.expect_every)) : "-",
           j.expect_every ? state_span(std::string(policy::to_string(j.schedule)))
                          : "unscheduled"});
    }
    table(out,
          {"Namespace", "Job", "Last run", "Status", "Items", "Runs in window", "Items in window",
           "By detector (window)", "Expected every", "Schedule"},
          rows);
  }
  if (!r.redaction.events_by_action.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [action, n] : r.redaction.events_by_action)
      rows.push_back({esc(action), std::to_string(n)});
    table(out, {"Audited action", "Events"}, rows);
  }
  out << "</section>\n";

  const auto& a = r.audit;
  out << "<section id=\"audit\"><h2>Audit integrity</h2>\n<ul>";
  out << "<li>Chain verified: "
      << (a.verified ? "<span class=\"good\">yes</span>" : "<span class=\"bad\">NO</span>") << " ("
      << a.events << " events, head " << a.head_seq << " <code>" << esc(a.head_hash.substr(0, 16))
      << "</code>)</li>";
  out << "<li>Last checkpoint: "
      << (a.last_checkpoint
              ? "<code>" + esc(*a.last_checkpoint) + "</code>" +
                    (a.checkpoint_matched ? " (matches)"
                                          : " <span class=\"bad\">(does not match)</span>")
              : std::string("none"))
      << "</li><li>Events in the window: " << a.events_in_window << "</li></ul>\n";
  if (!a.problems.empty()) {
    out << "<p class=\"bad\">Problems found:</p><ul>";
    for (const auto& p : a.problems) out << "<li>" << esc(p) << "</li>";
    out << "</ul>\n";
  }
  if (!a.activity_unavailable.empty()) {
    out << "<p class=\"bad\">Activity could not be counted: " << esc(a.activity_unavailable)
        << "</p>\n";
  } else if (a.actions_by_actor.empty()) {
    nodata(out, "No data: no audited actions in the window.");
  } else {
    std::vector<std::tuple<std::string, double, std::string>> days;
    for (const auto& [day, n] : a.events_by_day)
      days.emplace_back(day, static_cast<double>(n), "#0969da");
    bar_chart(out, "Audited actions per day", days, "events");
    std::vector<std::vector<std::string>> rows;
    for (const auto& [actor, actions] : a.actions_by_actor)
      for (const auto& [action, n] : actions)
        rows.push_back({esc(actor), esc(action), std::to_string(n)});
    table(out, {"Actor", "Action", "Events"}, rows);
  }
  out << "</section>\n</body></html>\n";
  return out.str();
}

}  // namespace ward::cli::report_format
