#pragma once

#include "ward/report/report.hpp"

// The report's sections, one builder each (src/report/section_*.cpp), called by build().
namespace ward::report::detail {

extern const char* const k_controls_json;  // data/controls.json, compiled in

void credentials(keyring::Namespace& ns, const Options& options, Report& report);
void keys(keyring::Keyring& keyring, keyring::Namespace& ns, const Options& options,
          Report& report);
void checks(keyring::Namespace& ns, const Options& options, Report& report);
void backups(keyring::Namespace& ns, const Options& options, Report& report);
void redaction(keyring::Namespace& ns, const Options& options, Report& report);
// Audit integrity, activity, redaction runs and backup verifications (from the trail).
void audit_trail(keyring::Keyring& keyring, audit::Log& log, const Options& options,
                 Report& report);
// The findings summary from every section, worst first.
void findings(Report& report);

}  // namespace ward::report::detail
