#include <filesystem>
#include <fstream>

#include "commands.hpp"
#include "output.hpp"
#include "ward/error.hpp"

namespace ward::cli {

void register_audit(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "The tamper-evident audit trail");
  audit->require_subcommand(1);

  struct LogOptions {
    std::string since;
    std::string action;
    std::string target;
  };
  auto log_options = std::make_shared<LogOptions>();
  auto* log = audit->add_subcommand("log", "Print audit events");
  log->add_option("--since", log_options->since, "Only events newer than this (e.g. 14d)");
  log->add_option("--action", log_options->action,
                  "Only this action (cred.get), or a family (cred.)");
  log->add_option("--target", log_options->target, "Only events on this name or id");
  set_action(log, [&ctx, log_options] {
    audit::Filter filter;
    if (!log_options->since.empty()) {
      filter.since = util::format_time(util::now() - util::parse_duration(log_options->since));
    }
    if (!log_options->action.empty()) filter.action = log_options->action;
    if (!log_options->target.empty()) filter.target = log_options->target;
    const auto events = ctx.audit_log().read(filter);
    if (ctx.json()) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& e : events) out.push_back(e.to_json());
      print_json({{"schema", "ward.audit.log/v1"}, {"events", out}});
      return;
    }
    Table table{{"SEQ", "TIME", "ACTOR", "ACTION", "NAMESPACE", "TARGET", "OUTCOME"}, {}};
    for (const auto& e : events) {
      table.rows.push_back(
          {std::to_string(e.seq), e.time, e.actor.display(), e.action, e.ns,
           e.target.empty() ? "-" : e.target,
           e.outcome == "ok" ? "ok" : e.outcome + " (" + std::to_string(e.code) + ")"});
    }
    table.print();
  });

  auto checkpoint_arg = std::make_shared<std::string>();
  auto* verify = audit->add_subcommand(
      "verify", "Verify the chain; against a checkpoint, also detect truncation");
  verify->add_option("--checkpoint", *checkpoint_arg, "A checkpoint line, or a file holding one");
  set_action(verify, [&ctx, checkpoint_arg] {
    std::optional<audit::Checkpoint> published;
    if (!checkpoint_arg->empty()) {
      std::string line = *checkpoint_arg;
      if (!line.starts_with("ward-checkpoint/") && std::filesystem::exists(line)) {
        std::ifstream in(line);
        std::getline(in, line);
      }
      published = audit::Checkpoint::parse(line);
    }
    auto& keys = ctx.keyring();
    auto report = ctx.audit_log().verify(published, keys.checkpoint_public_key());
    // Events spooled locally while the store was unreachable are part of the trail: delivered
    // ones were appended by audit_log() above; a spooled entry that fails authentication is a
    // verification failure like a damaged event in the store.
    const auto& spool = ctx.spool_flush();
    const auto spool_pending = ctx.audit_spool().pending();
    report.problems.insert(report.problems.end(), spool.problems.begin(), spool.problems.end());
    if (ctx.json()) {
      nlohmann::json j{{"schema", "ward.audit.verify/v1"},
                       {"ok", report.ok()},
                       {"events", report.events},
                       {"head_seq", report.head_seq},
                       {"head_hash", report.head_hash},
                       {"problems", report.problems},
                       {"checkpoint_matched", report.checkpoint_matched},
                       {"spool", {{"delivered", spool.delivered}, {"pending", spool_pending}}}};
      if (report.checkpoint) j["checkpoint"] = report.checkpoint->line();
      print_json(j);
    } else {
      if (spool.delivered > 0) {
        print_line("delivered " + std::to_string(spool.delivered) +
                   " event(s) spooled locally while the store was unreachable");
      }
      if (report.ok()) {
        print_line("audit trail intact: " + std::to_string(report.events) + " events, head " +
                   std::to_string(report.head_seq) + " " + report.head_hash.substr(0, 16));
        if (report.checkpoint) {
          print_line("matches checkpoint at event " + std::to_string(report.checkpoint->seq) +
                     (published ? " (given)" : " (newest kept in the store)"));
        }
      } else {
        print_line("audit trail verification FAILED:");
        if (spool_pending > 0) {
          print_line("  (" + std::to_string(spool_pending) + " event(s) still in the local spool)");
        }
        for (const auto& problem : report.problems) print_line("  - " + problem);
      }
    }
    if (!report.ok()) {
      fail(ErrorCode::findings, "audit trail verification failed: " +
                                    std::to_string(report.problems.size()) + " problem(s)");
    }
  });

  auto* checkpoint = audit->add_subcommand(
      "checkpoint",
      "Sign the head of the trail; keep the line somewhere the store's writers cannot change");
  set_action(checkpoint, [&ctx] {
    ctx.record("audit.checkpoint", "", "", "ok", 0, nlohmann::json::object());
    const auto result = ctx.audit_log().checkpoint(ctx.keyring().checkpoint_seed());
    if (ctx.json()) {
      print_json({{"schema", "ward.audit.checkpoint/v1"},
                  {"line", result.line()},
                  {"seq", result.seq},
                  {"head_hash", result.head_hash},
                  {"store_id", result.store_id}});
    } else {
      print_line(result.line());
    }
  });
}

}  // namespace ward::cli
