#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "commands.hpp"
#include "output.hpp"
#include "ward/error.hpp"
#include "ward/maintenance/migrate.hpp"
#include "ward/verify/store_verifier.hpp"

namespace ward::cli {

void register_store(CLI::App& app, Context& ctx) {
  auto* store = app.add_subcommand("store", "The store itself: info, integrity and migration");
  store->require_subcommand(1);

  auto* info = store->add_subcommand(
      "info", "Show the store's id, format and object counts (no unlock needed)");
  set_action(info, [&ctx] {
    auto& objects = ctx.store();
    const auto config = keyring::Keyring::read_config(objects);
    std::map<std::string, std::size_t> families;
    for (const auto& name : objects.list("")) ++families[name.substr(0, name.find('/'))];
    if (ctx.json()) {
      print_json({{"schema", "ward.store.info/v1"},
                  {"url", objects.url()},
                  {"store_id", config.store_id},
                  {"format", config.format},
                  {"created", config.created},
                  {"put_if_absent", objects.atomic_put_if_absent() ? "atomic" : "suffix"},
                  {"put_if_absent_at_init", config.atomic_put_if_absent ? "atomic" : "suffix"},
                  {"kek_max_age", util::format_duration(config.kek_max_age)},
                  {"objects", families}});
      return;
    }
    Table table{{"FIELD", "VALUE"}, {}};
    table.rows.push_back({"url", objects.url()});
    table.rows.push_back({"store id", config.store_id});
    table.rows.push_back({"format", std::to_string(config.format)});
    table.rows.push_back({"created", config.created});
    table.rows.push_back(
        {"put-if-absent", objects.atomic_put_if_absent() ? "atomic" : "suffix fallback"});
    table.rows.push_back({"key rotation policy", util::format_duration(config.kek_max_age)});
    for (const auto& [family, count] : families)
      table.rows.push_back({"objects: " + family, std::to_string(count)});
    table.print();
  });

  auto* verify = store->add_subcommand(
      "verify", "Check that every object authenticates and the structure is consistent");
  set_action(verify, [&ctx] {
    verify::StoreReport report;
    try {
      (void)ctx.keyring();
    } catch (const Error& e) {
      // Wrong keys are an unlock failure (4); damage found after unlocking is a finding.
      if (e.code() != ErrorCode::auth || !ctx.master_unlocked()) throw;
      if (ctx.json()) {
        print_json({{"schema", "ward.store.verify/v1"}, {"ok", false}, {"problems", {e.what()}}});
      } else {
        print_line(std::string("store verification FAILED: ") + e.what());
      }
      fail(ErrorCode::findings, "store verification found 1 problem: the root keys are damaged");
    }
    report = verify::verify_store(ctx.keyring(), ctx.audit_log());
    try {
      ctx.record("store.verify", "", "", report.ok() ? "ok" : "findings", report.ok() ? 0 : 1,
                 {{"objects", report.objects}, {"problems", report.problems.size()}});
    } catch (const Error& e) {
      // A damaged trail is already among the problems; the report still comes out.
      if (e.code() != ErrorCode::auth) throw;
      if (report.ok()) report.problems.emplace_back(e.what());
    }
    if (ctx.json()) {
      print_json({{"schema", "ward.store.verify/v1"},
                  {"ok", report.ok()},
                  {"objects", report.objects},
                  {"credentials", report.credentials},
                  {"namespaces", report.namespaces},
                  {"audit_events", report.audit.events},
                  {"problems", report.problems},
                  {"notes", report.notes}});
    } else {
      print_line(std::string(report.ok() ? "store intact" : "store verification FAILED") + ": " +
                 std::to_string(report.objects) + " objects checked (" +
                 std::to_string(report.namespaces) + " namespaces, " +
                 std::to_string(report.credentials) + " credential objects, " +
                 std::to_string(report.audit.events) + " audit events)");
      for (const auto& problem : report.problems) print_line("  problem: " + problem);
      for (const auto& note : report.notes) print_line("  note: " + note);
    }
    if (!report.ok()) {
      fail(ErrorCode::findings,
           "store verification found " + std::to_string(report.problems.size()) + " problem(s)");
    }
  });
  struct MigrateOptions {
    std::string source;
    std::string destination;
  };
  auto migrate_options = std::make_shared<MigrateOptions>();
  auto* migrate = store->add_subcommand(
      "migrate",
      "Copy every object of a store to another location and verify each copy (no unlock "
      "needed; resumable)");
  migrate->add_option("SRC_URL", migrate_options->source, "The store to copy")->required();
  migrate->add_option("DST_URL", migrate_options->destination, "Where to copy it")->required();
  set_action(migrate, [&ctx, migrate_options] {
    auto source = store::open_object_store(migrate_options->source,
                                           ctx.store_options(migrate_options->source));
    auto destination = store::open_object_store(migrate_options->destination,
                                                ctx.store_options(migrate_options->destination));
    for (const auto* opened : {source.get(), destination.get()}) {
      for (const auto& warning : opened->warnings()) spdlog::warn("{}", warning);
    }
    const bool show_progress = ::isatty(STDERR_FILENO) == 1 && !ctx.options.quiet;
    const auto result = maintenance::migrate_store(
        *source, *destination, [show_progress](std::size_t done, std::size_t total) {
          if (show_progress) std::fprintf(stderr, "\rmigrating: %zu/%zu objects", done, total);
        });
    if (show_progress) std::fprintf(stderr, "\n");
    // The event goes into the destination's trail, which needs its audit key: recorded when
    // unlock material is at hand (the copy itself needs none).
    const bool can_unlock = !ctx.options.key_file.empty() || !ctx.options.passphrase_file.empty() ||
                            ctx.options.passphrase_fd >= 0 || std::getenv("WARD_KEY") != nullptr;
    if (can_unlock) {
      ctx.options.store = migrate_options->destination;
      ctx.record("store.migrate", "", "", "ok", 0,
                 {{"source", source->url()},
                  {"objects", result.objects},
                  {"copied", result.copied},
                  {"skipped", result.skipped}});
    } else {
      spdlog::warn(
          "the migration is not recorded in the audit trail: give --key-file (or "
          "WARD_KEY_FILE, WARD_KEY, --passphrase-file) to record it");
    }
    const auto mode = result.destination_atomic ? "atomic" : "suffix";
    if (ctx.json()) {
      print_json({{"schema", "ward.store.migrate/v1"},
                  {"source", source->url()},
                  {"destination", destination->url()},
                  {"objects", result.objects},
                  {"copied", result.copied},
                  {"skipped", result.skipped},
                  {"bytes_copied", result.bytes_copied},
                  {"replaced_incomplete", result.replaced_incomplete},
                  {"verified", result.objects},
                  {"destination_put_if_absent", mode},
                  {"audited", can_unlock}});
      return;
    }
    Table table{{"FIELD", "VALUE"}, {}};
    table.rows.push_back({"source", source->url()});
    table.rows.push_back({"destination", destination->url()});
    table.rows.push_back({"objects", std::to_string(result.objects)});
    table.rows.push_back({"copied", std::to_string(result.copied)});
    table.rows.push_back({"already there", std::to_string(result.skipped)});
    table.rows.push_back({"bytes copied", std::to_string(result.bytes_copied)});
    table.rows.push_back(
        {"verified", std::to_string(result.objects) + " of " + std::to_string(result.objects)});
    table.rows.push_back(
        {"destination put-if-absent", result.destination_atomic ? "atomic" : "suffix fallback"});
    table.print();
  });
}

}  // namespace ward::cli
