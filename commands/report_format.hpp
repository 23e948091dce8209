#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ward/report/report.hpp"

// Renderings of the audit report model (src/report) for `ward audit report --format …`.
namespace ward::cli::report_format {

[[nodiscard]] std::string markdown(const report::Report& report);
// One self-contained page: inline CSS and SVG, no scripts, no external fetches; printable.
[[nodiscard]] std::string html(const report::Report& report);
// One test case per policy item and finding, through the shared JUnit writer.
[[nodiscard]] std::string junit(const report::Report& report);

// Helpers both text renderings share.
[[nodiscard]] std::string severity_counts(const report::Report& report);
[[nodiscard]] std::string date_of(const std::string& rfc3339);
// "card 3, email 12" (by detector name); "-" when nothing was redacted.
[[nodiscard]] std::string detector_counts(const std::map<std::string, std::uint64_t>& counts);

}  // namespace ward::cli::report_format
