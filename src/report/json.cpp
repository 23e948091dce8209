#include "ward/report/report.hpp"

namespace ward::report {
namespace {

using nlohmann::json;

json opt_time(const std::optional<util::TimePoint>& t) {
  return t ? json(util::format_time(*t)) : json();
}

json finding_json(const Finding& f) {
  return {{"id", f.id},
          {"section", f.section},
          {"severity", check::to_string(f.severity)},
          {"namespace", f.ns},
          {"subject", f.subject},
          {"message", f.message},
          {"controls", f.controls}};
}

json credentials_json(const Report& r) {
  json list = json::array();
  json by_ns = json::object();
  std::size_t revoked = 0;
  std::size_t weak = 0;
  std::size_t overdue = 0;
  std::size_t due = 0;
  for (const auto& c : r.credentials) {
    json j{{"namespace", c.ns},
           {"name", c.name},
           {"id", c.id},
           {"type", c.type},
           {"created", c.created},
           {"last_rotated", c.last_rotated},
           {"age_days", c.age_days},
           {"current_version", c.current_version},
           {"latest_version", c.latest_version},
           {"revoked_versions", c.revoked_versions},
           {"revoked", c.current_version == 0},
           {"rotation", c.current_version == 0 ? "revoked" : policy::to_string(c.rotation)},
           {"due_at", opt_time(c.due_at)},
           {"strength", c.strength}};
    j["rotate_every"] = c.rotate_every ? json(util::format_duration(*c.rotate_every)) : json();
    list.push_back(j);
    auto& per_type = by_ns[c.ns];
    per_type[c.type] = (per_type.contains(c.type) ? per_type[c.type].get<std::size_t>() : 0) + 1;
    if (c.current_version == 0) ++revoked;
    if (c.strength == "weak") ++weak;
    if (c.current_version != 0 && c.rotation == policy::State::overdue) ++overdue;
    if (c.current_version != 0 && c.rotation == policy::State::due) ++due;
  }
  return {{"total", r.credentials.size()},
          {"revoked", revoked},
          {"weak", weak},
          {"overdue", overdue},
          {"due", due},
          {"by_namespace_type", by_ns},
          {"items", list}};
}

json keys_json(const Report& r) {
  json list = json::array();
  std::size_t overdue = 0;
  std::size_t pending = 0;
  for (const auto& k : r.keys) {
    list.push_back({{"namespace", k.ns},
                    {"version", k.version},
                    {"created", util::format_time(k.created)},
                    {"age_days", k.age_days},
                    {"current", k.current},
                    {"objects", k.objects},
                    {"state", k.state},
                    {"rotation", policy::to_string(k.rotation)},
                    {"due_at", opt_time(k.due_at)}});
    if (k.rotation == policy::State::overdue) ++overdue;
    if (k.state == "rewrap pending") ++pending;
  }
  return {{"max_age", util::format_duration(r.kek_max_age)},
          {"overdue", overdue},
          {"rewrap_pending", pending},
          {"versions", list}};
}

json checks_json(const Report& r) {
  json list = json::array();
  std::map<std::string, std::size_t> totals;
  json expiry = json::array();
  for (const auto& c : r.checks) {
    json findings = json::array();
    for (const auto& f : c.findings)
      findings.push_back(
          {{"id", f.id}, {"severity", check::to_string(f.severity)}, {"message", f.message}});
    list.push_back({{"namespace", c.ns},
                    {"kind", c.kind},
                    {"target", c.target},
                    {"status", c.status},
                    {"checked_at", c.checked_at},
                    {"findings_by_severity", c.findings_by_severity},
                    {"findings", findings}});
    for (const auto& [s, n] : c.findings_by_severity) totals[s] += n;
    if (c.cert_not_after) {
      expiry.push_back({{"namespace", c.ns},
                        {"target", c.target},
                        {"kind", c.kind},
                        {"not_after", *c.cert_not_after},
                        {"days_left", c.cert_days_left ? json(*c.cert_days_left) : json()}});
    }
  }
  return {{"latest", list}, {"findings_by_severity", totals}, {"certificates", expiry}};
}

json redaction_json(const Report& r) {
  json jobs = json::array();
  for (const auto& j : r.redaction.jobs) {
    jobs.push_back(
        {{"namespace", j.ns},
         {"job", j.job},
         {"last_started", j.last_started},
         {"last_status", j.last_status},
         {"last_error", j.last_error.empty() ? json() : json(j.last_error)},
         {"last_duration_ms", j.last_duration_ms},
         {"last_items", j.last_items},
         {"runs_in_window", j.runs_in_window},
         {"failed_in_window", j.failed_in_window},
         {"items_in_window", j.items_in_window},
         {"detectors_in_window", j.detectors_in_window},
         {"expect_every_seconds", j.expect_every ? json(j.expect_every->count()) : json()},
         {"schedule", j.expect_every ? json(policy::to_string(j.schedule)) : json()},
         {"due_at", opt_time(j.due_at)}});
  }
  return {{"run_records_available", r.redaction.run_records_available},
          {"jobs", jobs},
          {"events_by_action", r.redaction.events_by_action},
          {"last_run", r.redaction.last_run.empty() ? json() : json(r.redaction.last_run)}};
}

json backups_json(const Report& r) {
  json sources = json::array();
  for (const auto& b : r.backups) {
    sources.push_back({{"namespace", b.ns},
                       {"source", b.source},
                       {"snapshots", b.snapshots},
                       {"last_snapshot", util::format_time(b.last_snapshot)},
                       {"last_snapshot_id", b.last_snapshot_id},
                       {"daily_kept", b.daily_kept},
                       {"weekly_kept", b.weekly_kept},
                       {"compliant", b.compliant}});
  }
  json verifies = json::array();
  for (const auto& v : r.backup_verifies) {
    verifies.push_back({{"namespace", v.ns},
                        {"time", v.time},
                        {"outcome", v.outcome},
                        {"problems", v.problems},
                        {"read_data", v.read_data}});
  }
  return {{"policy", {{"daily", r.retention.daily}, {"weekly", r.retention.weekly}}},
          {"sources", sources},
          {"last_verify", verifies}};
}

json audit_json(const Report& r) {
  const auto& a = r.audit;
  json j{{"verified", a.verified},
         {"events", a.events},
         {"head_seq", a.head_seq},
         {"head_hash", a.head_hash},
         {"problems", a.problems},
         {"checkpoint_matched", a.checkpoint_matched},
         {"events_in_window", a.events_in_window},
         {"activity_unavailable", a.activity_unavailable},
         {"actions_by_actor", a.actions_by_actor},
         {"events_by_day", a.events_by_day},
         {"failures_by_action", a.failures_by_action}};
  j["last_checkpoint"] = a.last_checkpoint ? json(*a.last_checkpoint) : json();
  return j;
}

}  // namespace

json to_json(const Report& r) {
  json findings = json::array();
  for (const auto& f : r.findings) findings.push_back(finding_json(f));
  json items = json::array();
  for (const auto& i : r.policy_items) {
    items.push_back({{"kind", i.kind},
                     {"namespace", i.ns},
                     {"subject", i.subject},
                     {"subject_id", i.subject_id},
                     {"state", policy::to_string(i.state)},
                     {"severity", check::to_string(i.severity)},
                     {"due_at", opt_time(i.due_at)},
                     {"message", i.message}});
  }
  return {{"schema", "ward.audit.report/v1"},
          {"generated_at", r.generated_at},
          {"store_id", r.store_id},
          {"since", r.since},
          {"window_seconds", r.window.count()},
          {"namespaces", r.namespaces},
          {"unreadable_namespaces", r.unreadable_namespaces},
          {"credentials", credentials_json(r)},
          {"keys", keys_json(r)},
          {"checks", checks_json(r)},
          {"backups", backups_json(r)},
          {"redaction", redaction_json(r)},
          {"audit", audit_json(r)},
          {"policy_items", items},
          {"controls", {{"framework", r.control_framework}, {"titles", r.control_titles}}},
          {"findings", findings}};
}

}  // namespace ward::report
