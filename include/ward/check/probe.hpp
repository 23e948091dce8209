#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ward::check {

// How bad a finding is. The order matters: `--fail-on` compares against it.
enum class Severity { info, low, medium, high, critical };

// The verdict on one target. `error` means the check could not be completed (unreachable,
// timeout, not speaking the protocol): a finding about the target, never a store failure.
enum class Status { pass, warn, fail, error };

// One thing a check found. `id` is stable across releases (documented in ward-check(1)) so CI
// can allow-list or grep for it; `evidence` holds the observed values that prove it.
struct Finding {
  std::string id;
  Severity severity = Severity::info;
  std::string message;
  nlohmann::json evidence = nlohmann::json::object();
};

// The result every check returns (tls, http, ssh, source): what was checked, what was observed
// (`facts`: negotiated protocol, cipher, certificate, host key…), what is wrong (`findings`), and
// how long it took. Commands format it; `check all` stores it under checks/ for reports.
struct Probe {
  std::string target;  // as the user named it: host:port, URL, credential name
  std::string kind;    // "tls", "http", "ssh", "source"
  Status status = Status::pass;
  nlohmann::json facts = nlohmann::json::object();
  std::vector<Finding> findings;
  std::chrono::milliseconds duration{0};
  std::string error;       // why the check could not be completed (status error), else empty
  std::string checked_at;  // UTC, RFC 3339

  void add(std::string id, Severity severity, std::string message,
           nlohmann::json evidence = nlohmann::json::object());
  // Marks the check as not completed: status error plus a finding `id` carrying the reason.
  void set_error(std::string id, std::string message,
                 nlohmann::json evidence = nlohmann::json::object());
  // Sets `status` from the findings: error stays error; fail when a finding is medium or worse,
  // warn when one is low, pass otherwise (info findings are facts worth reading, not problems).
  void settle();
  // The most severe finding, if any.
  [[nodiscard]] std::optional<Severity> worst() const;
};

[[nodiscard]] std::string_view to_string(Severity severity);
[[nodiscard]] std::string_view to_string(Status status);
// Parses info|low|medium|high|critical; nullopt for anything else.
[[nodiscard]] std::optional<Severity> parse_severity(std::string_view text);
[[nodiscard]] std::optional<Status> parse_status(std::string_view text);

// Whether a result should make a judging command exit 1 under `--fail-on threshold`: the check
// could not be completed, or a finding is at or above the threshold.
[[nodiscard]] bool fails(const Probe& probe, Severity threshold);
// The findings at or above the threshold, in order.
[[nodiscard]] std::vector<const Finding*> findings_at_or_above(const Probe& probe,
                                                               Severity threshold);

// The JSON form used by `--json` output and by stored results (schema-free: the caller wraps it
// in its envelope). from_json accepts what to_json writes and throws Error(usage) otherwise.
[[nodiscard]] nlohmann::json to_json(const Probe& probe);
[[nodiscard]] Probe probe_from_json(const nlohmann::json& document);

}  // namespace ward::check
