#include <nlohmann/json.hpp>

#include "sections.hpp"
#include "ward/error.hpp"

namespace ward::report {
namespace {

const nlohmann::json& mapping() {
  static const nlohmann::json document = [] {
    auto parsed = nlohmann::json::parse(detail::k_controls_json, nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("mappings")) {
      fail(ErrorCode::internal, "the compiled-in control mapping (data/controls.json) is broken");
    }
    return parsed;
  }();
  return document;
}

}  // namespace

std::vector<std::string> controls_for(std::string_view finding_id) {
  std::size_t best = 0;
  std::vector<std::string> out;
  for (const auto& m : mapping().at("mappings")) {
    const auto match = m.at("match").get<std::string>();
    if (finding_id.starts_with(match) && match.size() > best) {
      best = match.size();
      out = m.at("controls").get<std::vector<std::string>>();
    }
  }
  return out;
}

namespace detail {

void findings(Report& report) {
  const auto& doc = mapping();
  report.control_framework = doc.value("framework", "");
  for (const auto& [id, title] : doc.at("controls").items())
    report.control_titles[id] = title.get<std::string>();
  for (auto& f : report.findings) f.controls = controls_for(f.id);
  std::stable_sort(report.findings.begin(), report.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
}

}  // namespace detail
}  // namespace ward::report
