#include "ward/maintenance/maintenance.hpp"

#include "commands.hpp"
#include "output.hpp"
#include "ward/error.hpp"

namespace ward::cli {

void register_maintenance(CLI::App& app, Context& ctx) {
  auto temp_age = std::make_shared<std::string>("1h");
  auto* maintenance = app.add_subcommand(
      "maintenance", "Deferred work: leftovers of interrupted writes, rewraps and rotations");
  maintenance->add_option("--temp-age", *temp_age,
                          "Remove temporary files of killed writers older than this (default 1h)");
  auto seal_min = std::make_shared<std::size_t>(1000);
  maintenance->add_option(
      "--seal-min", *seal_min,
      "Seal audit events into segments once this many are unsealed (default 1000)");
  set_action(maintenance, [&ctx, temp_age, seal_min] {
    const auto age = util::parse_duration(*temp_age);
    maintenance::Report report;
    ctx.audited("store.maintenance", "", "", [&](nlohmann::json& details) {
      report = maintenance::run(ctx.keyring(), age, *seal_min);
      details = {{"stale_temporaries", report.stale_temporaries},
                 {"superseded_generations", report.superseded_generations},
                 {"sealed_events", report.sealed_events}};
    });
    if (ctx.json()) {
      print_json({{"schema", "ward.maintenance/v1"},
                  {"stale_temporaries", report.stale_temporaries},
                  {"superseded_generations", report.superseded_generations},
                  {"sealed_events", report.sealed_events},
                  {"unopenable_newest", report.unopenable_newest}});
      return;
    }
    print_line("removed " + std::to_string(report.stale_temporaries) +
               " stale temporary file(s) and " + std::to_string(report.superseded_generations) +
               " superseded generation(s); sealed " + std::to_string(report.sealed_events) +
               " audit event(s) into segments");
    for (const auto& logical : report.unopenable_newest) {
      print_line("  kept " + logical +
                 ": its newest generation does not open; run `ward store verify`");
    }
  });
}

}  // namespace ward::cli
