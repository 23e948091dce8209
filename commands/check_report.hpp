#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "context.hpp"
#include "junit.hpp"
#include "ward/check/probe.hpp"

namespace ward::cli {

// What every `check` subcommand (tls, http, ssh, source, all) shares: the exit threshold and the
// JUnit report.
struct CheckReportOptions {
  std::string fail_on = "high";
  std::string junit_path;
};

// Adds --fail-on and --junit to a check subcommand.
void add_check_report_options(CLI::App* command, CheckReportOptions& options);

// `--fail-on` as a severity; throws Error(usage) for an unknown name.
check::Severity fail_on_threshold(const CheckReportOptions& options);

// One JUnit test case per probe: a failure per finding at or above the threshold, an error when
// the check could not be completed.
junit::TestCase to_junit_case(const check::Probe& probe, check::Severity threshold);

// Human output: per target a status line, its facts, and a table of findings.
void print_probes(const std::vector<check::Probe>& probes);
// The JSON envelope: {"schema": SCHEMA, "fail_on": …, "results": [...], "summary": {...}}.
nlohmann::json probes_document(const std::string& schema, const std::vector<check::Probe>& probes,
                               check::Severity threshold);

// The whole tail of a check command: runs `run` (which returns the probes), stores each result
// (check::ResultStore, under checks/) and audits it as `action` when a store exists (unlocking it
// before any probe runs, so a wrong key fails first), prints the results (table or JSON with
// `schema`), writes the JUnit file, and throws Error(findings) when a result fails the threshold.
void run_checks(Context& ctx, const std::string& action, const std::string& schema,
                const CheckReportOptions& options,
                const std::function<std::vector<check::Probe>()>& run);

}  // namespace ward::cli
