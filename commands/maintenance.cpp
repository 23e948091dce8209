#include "ward/maintenance/maintenance.hpp"

#include "commands.hpp"
#include "output.hpp"
#include "ward/error.hpp"
#include "ward/rotate/rotation.hpp"
#include "ward/vault/vault.hpp"

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
    std::vector<rotate::Retirement> revocations;
    ctx.audited("store.maintenance", "", "", [&](nlohmann::json& details) {
      report = maintenance::run(ctx.keyring(), age, *seal_min);
      details = {{"stale_temporaries", report.stale_temporaries},
                 {"superseded_generations", report.superseded_generations},
                 {"sealed_events", report.sealed_events}};
    });
    // Credential versions whose grace period is over, in every namespace: retired on their
    // target by the rotation driver, then revoked in the store (each audited).
    for (const auto& name : ctx.keyring().namespace_names()) {
      auto& ns = ctx.keyring().ns(name);
      vault::Vault vault(ns);
      rotate::TargetContext target;
      target.lookup = [&vault](const std::string& n) { return vault.read(n); };
      for (auto& r :
           rotate::run_due_revocations(vault, ns, target, audit::current_actor().display())) {
        if (r.skipped) continue;
        ctx.record("cred.revoke", r.name, r.credential_id, r.done ? "ok" : "error", r.done ? 0 : 1,
                   {{"version", r.version}, {"reason", "grace period over"}});
        revocations.push_back(std::move(r));
      }
    }
    std::size_t revoked = 0;
    nlohmann::json revocation_errors = nlohmann::json::array();
    for (const auto& r : revocations) {
      if (r.done) {
        ++revoked;
      } else {
        revocation_errors.push_back({{"name", r.name}, {"version", r.version}, {"error", r.error}});
      }
    }
    if (ctx.json()) {
      print_json({{"schema", "ward.maintenance/v1"},
                  {"stale_temporaries", report.stale_temporaries},
                  {"superseded_generations", report.superseded_generations},
                  {"sealed_events", report.sealed_events},
                  {"revoked_versions", revoked},
                  {"revocation_errors", revocation_errors},
                  {"unopenable_newest", report.unopenable_newest}});
      return;
    }
    print_line("removed " + std::to_string(report.stale_temporaries) +
               " stale temporary file(s) and " + std::to_string(report.superseded_generations) +
               " superseded generation(s); sealed " + std::to_string(report.sealed_events) +
               " audit event(s) into segments");
    if (!revocations.empty()) {
      print_line("revoked " + std::to_string(revoked) +
                 " superseded credential version(s) whose grace period is over");
    }
    for (const auto& r : revocations) {
      if (!r.done) {
        print_line("  kept version " + std::to_string(r.version) + " of " + r.name +
                   ": cannot retire it on the target yet (" + r.error + ")");
      }
    }
    for (const auto& logical : report.unopenable_newest) {
      print_line("  kept " + logical +
                 ": its newest generation does not open; run `ward store verify`");
    }
  });
}

}  // namespace ward::cli
