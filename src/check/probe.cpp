#include "ward/check/probe.hpp"

#include <algorithm>
#include <array>

#include "ward/error.hpp"

namespace ward::check {
namespace {

constexpr std::array<std::string_view, 5> k_severity_names{"info", "low", "medium", "high",
                                                           "critical"};
constexpr std::array<std::string_view, 4> k_status_names{"pass", "warn", "fail", "error"};

}  // namespace

std::string_view to_string(Severity severity) {
  return k_severity_names.at(static_cast<std::size_t>(severity));
}

std::string_view to_string(Status status) {
  return k_status_names.at(static_cast<std::size_t>(status));
}

std::optional<Severity> parse_severity(std::string_view text) {
  for (std::size_t i = 0; i < k_severity_names.size(); ++i) {
    if (k_severity_names[i] == text) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

std::optional<Status> parse_status(std::string_view text) {
  for (std::size_t i = 0; i < k_status_names.size(); ++i) {
    if (k_status_names[i] == text) return static_cast<Status>(i);
  }
  return std::nullopt;
}

void Probe::add(std::string id, Severity severity, std::string message, nlohmann::json evidence) {
  findings.push_back({std::move(id), severity, std::move(message), std::move(evidence)});
}

void Probe::set_error(std::string id, std::string message, nlohmann::json evidence) {
  error = message;
  status = Status::error;
  add(std::move(id), Severity::high, std::move(message), std::move(evidence));
}

std::optional<Severity> Probe::worst() const {
  std::optional<Severity> result;
  for (const auto& finding : findings) {
    if (!result || finding.severity > *result) result = finding.severity;
  }
  return result;
}

void Probe::settle() {
  if (status == Status::error || !error.empty()) {
    status = Status::error;
    return;
  }
  const auto most = worst();
  if (most && *most >= Severity::medium) {
    status = Status::fail;
  } else if (most && *most == Severity::low) {
    status = Status::warn;
  } else {
    status = Status::pass;
  }
}

bool fails(const Probe& probe, Severity threshold) {
  if (probe.status == Status::error) return true;
  return std::any_of(probe.findings.begin(), probe.findings.end(),
                     [threshold](const Finding& f) { return f.severity >= threshold; });
}

std::vector<const Finding*> findings_at_or_above(const Probe& probe, Severity threshold) {
  std::vector<const Finding*> out;
  for (const auto& finding : probe.findings) {
    if (finding.severity >= threshold) out.push_back(&finding);
  }
  return out;
}

nlohmann::json to_json(const Probe& probe) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : probe.findings) {
    findings.push_back({{"id", f.id},
                        {"severity", to_string(f.severity)},
                        {"message", f.message},
                        {"evidence", f.evidence}});
  }
  nlohmann::json out{{"target", probe.target},
                     {"kind", probe.kind},
                     {"status", to_string(probe.status)},
                     {"checked_at", probe.checked_at},
                     {"duration_ms", probe.duration.count()},
                     {"facts", probe.facts},
                     {"findings", std::move(findings)}};
  if (!probe.error.empty()) out["error"] = probe.error;
  return out;
}

Probe probe_from_json(const nlohmann::json& document) {
  const auto bad = [](const std::string& what) -> Error {
    return {ErrorCode::usage, "malformed check result: " + what};
  };
  if (!document.is_object()) throw bad("not a JSON object");
  try {
    Probe probe;
    probe.target = document.at("target").get<std::string>();
    probe.kind = document.at("kind").get<std::string>();
    const auto status = parse_status(document.at("status").get<std::string>());
    if (!status) throw bad("unknown status");
    probe.status = *status;
    probe.checked_at = document.value("checked_at", std::string{});
    probe.duration = std::chrono::milliseconds(document.value("duration_ms", std::int64_t{0}));
    probe.facts = document.value("facts", nlohmann::json::object());
    probe.error = document.value("error", std::string{});
    for (const auto& f : document.value("findings", nlohmann::json::array())) {
      const auto severity = parse_severity(f.at("severity").get<std::string>());
      if (!severity) throw bad("unknown severity");
      probe.findings.push_back({f.at("id").get<std::string>(), *severity,
                                f.value("message", std::string{}),
                                f.value("evidence", nlohmann::json::object())});
    }
    return probe;
  } catch (const nlohmann::json::exception& e) {
    throw bad(e.what());
  }
}

}  // namespace ward::check
