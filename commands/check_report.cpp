#include "check_report.hpp"

#include <spdlog/spdlog.h>

#include <sstream>

#include "output.hpp"
#include "ward/check/results.hpp"
#include "ward/error.hpp"
#include "ward/util/duration.hpp"

namespace ward::cli {
namespace {

// A fact as one line of text: scalars as they are, arrays of scalars joined, objects as JSON.
std::string fact_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value) {
      if (!out.empty()) out += ", ";
      out += item.is_string() ? item.get<std::string>() : item.dump();
    }
    return out.empty() ? "-" : out;
  }
  return value.dump();
}

std::string facts_text(const nlohmann::json& facts) {
  std::ostringstream out;
  for (const auto& [key, value] : facts.items()) out << key << ": " << fact_text(value) << '\n';
  return out.str();
}

bool store_present(Context& ctx) {
  try {
    return ctx.store().exists();
  } catch (const Error& e) {
    // A check judges its target; a store it cannot reach only loses the audit record, which
    // the user must hear about.
    spdlog::warn("check results are not audited: {}", e.what());
    return false;
  }
}

nlohmann::json finding_ids(const check::Probe& probe) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& finding : probe.findings) ids.push_back(finding.id);
  return ids;
}

// Stores the results for reports, then writes one audit event for the run: a run over many
// targets (check all) is one action, and one event with every target's outcome keeps it to one
// store sync and one audit append instead of two per target.
void record_checks(Context& ctx, const std::string& action, const std::vector<check::Probe>& probes,
                   check::Severity threshold) {
  const auto stored = check::ResultStore(ctx.ns()).save_all(probes);
  std::size_t failing = 0;
  for (const auto& probe : probes) failing += check::fails(probe, threshold) ? 1 : 0;
  const int code = failing > 0 ? static_cast<int>(ErrorCode::findings) : 0;
  if (probes.size() == 1) {
    const auto& probe = probes.front();
    nlohmann::json details{{"kind", probe.kind},
                           {"status", check::to_string(probe.status)},
                           {"duration_ms", probe.duration.count()},
                           {"findings", finding_ids(probe)},
                           {"stored", stored.front()}};
    ctx.record(action, probe.target, "", std::string(check::to_string(probe.status)), code,
               details);
    return;
  }
  nlohmann::json results = nlohmann::json::array();
  nlohmann::json by_status = {{"pass", 0}, {"warn", 0}, {"fail", 0}, {"error", 0}};
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const auto& probe = probes[i];
    const auto status = std::string(check::to_string(probe.status));
    by_status[status] = by_status[status].get<int>() + 1;
    results.push_back({{"target", probe.target},
                       {"kind", probe.kind},
                       {"status", status},
                       {"duration_ms", probe.duration.count()},
                       {"findings", finding_ids(probe)},
                       {"stored", stored[i]}});
  }
  nlohmann::json details{{"targets", probes.size()},
                         {"failing", failing},
                         {"by_status", std::move(by_status)},
                         {"results", std::move(results)}};
  ctx.record(action, std::to_string(probes.size()) + " targets", "", failing > 0 ? "fail" : "pass",
             code, details);
}

}  // namespace

void add_check_report_options(CLI::App* command, CheckReportOptions& options) {
  command
      ->add_option("--fail-on", options.fail_on,
                   "Exit 1 when a finding is at or above this severity (default high)")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical"}));
  command->add_option("--junit", options.junit_path,
                      "Also write a JUnit XML report to FILE (one test case per target)");
}

check::Severity fail_on_threshold(const CheckReportOptions& options) {
  const auto threshold = check::parse_severity(options.fail_on);
  if (!threshold) {
    fail(ErrorCode::usage, "unknown severity '" + options.fail_on + "' for --fail-on",
         "use one of info, low, medium, high, critical");
  }
  return *threshold;
}

junit::TestCase to_junit_case(const check::Probe& probe, check::Severity threshold) {
  junit::TestCase test;
  test.name = probe.target;
  test.classname = "ward.check." + probe.kind;
  test.seconds = static_cast<double>(probe.duration.count()) / 1000.0;
  for (const auto& finding : probe.findings) {
    junit::Problem problem{
        finding.id,
        std::string("[") + std::string(check::to_string(finding.severity)) + "] " + finding.message,
        finding.evidence.empty() ? std::string{} : finding.evidence.dump(2)};
    if (probe.status == check::Status::error && finding.message == probe.error) {
      test.errors.push_back(std::move(problem));
    } else if (finding.severity >= threshold) {
      test.failures.push_back(std::move(problem));
    }
  }
  if (probe.status == check::Status::error && test.errors.empty()) {
    test.errors.push_back({"check.error", probe.error, {}});
  }
  test.system_out = facts_text(probe.facts);
  return test;
}

void print_probes(const std::vector<check::Probe>& probes) {
  bool first = true;
  for (const auto& probe : probes) {
    if (!first) print_line("");
    first = false;
    print_line(probe.target + "  " + probe.kind + "  " +
               std::string(check::to_string(probe.status)) + "  (" +
               std::to_string(probe.duration.count()) + " ms)");
    if (!probe.error.empty()) print_line("  error: " + probe.error);
    for (const auto& [key, value] : probe.facts.items()) {
      print_line("  " + key + ": " + fact_text(value));
    }
    if (probe.findings.empty()) {
      print_line("  no findings");
      continue;
    }
    Table table;
    table.headers = {"SEVERITY", "ID", "MESSAGE"};
    for (const auto& finding : probe.findings) {
      table.rows.push_back(
          {std::string(check::to_string(finding.severity)), finding.id, finding.message});
    }
    table.print();
  }
}

nlohmann::json probes_document(const std::string& schema, const std::vector<check::Probe>& probes,
                               check::Severity threshold) {
  nlohmann::json results = nlohmann::json::array();
  nlohmann::json by_status = {{"pass", 0}, {"warn", 0}, {"fail", 0}, {"error", 0}};
  std::size_t failing = 0;
  for (const auto& probe : probes) {
    results.push_back(check::to_json(probe));
    by_status[std::string(check::to_string(probe.status))] =
        by_status[std::string(check::to_string(probe.status))].get<int>() + 1;
    if (check::fails(probe, threshold)) ++failing;
  }
  return {
      {"schema", schema},
      {"fail_on", check::to_string(threshold)},
      {"results", std::move(results)},
      {"summary", {{"targets", probes.size()}, {"failing", failing}, {"by_status", by_status}}}};
}

void run_checks(Context& ctx, const std::string& action, const std::string& schema,
                const CheckReportOptions& options,
                const std::function<std::vector<check::Probe>()>& run) {
  const auto threshold = fail_on_threshold(options);
  const bool audit = store_present(ctx);
  if (audit) ctx.ns();  // a store that cannot be unlocked fails before any probe runs

  auto probes = run();

  if (ctx.json()) {
    print_json(probes_document(schema, probes, threshold));
  } else {
    print_probes(probes);
  }
  if (!options.junit_path.empty()) {
    junit::Suite suite{"ward " + action, util::format_time(util::now()), {}};
    for (const auto& probe : probes) suite.cases.push_back(to_junit_case(probe, threshold));
    junit::write_file(options.junit_path, junit::to_xml({suite}));
  }

  std::vector<std::string> failing;
  for (const auto& probe : probes) {
    if (check::fails(probe, threshold)) failing.push_back(probe.target);
  }
  if (audit && !probes.empty()) record_checks(ctx, action, probes, threshold);
  if (!failing.empty()) {
    std::string names;
    for (const auto& name : failing) names += (names.empty() ? "" : ", ") + name;
    fail(ErrorCode::findings, std::to_string(failing.size()) + " of " +
                                  std::to_string(probes.size()) +
                                  " target(s) failed the check (error, or a finding at or above " +
                                  options.fail_on + "): " + names);
  }
}

}  // namespace ward::cli
