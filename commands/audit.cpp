#include <cstdio>
#include <filesystem>
#include <fstream>

#include "commands.hpp"
#include "junit.hpp"
#include "output.hpp"
#include "report_format.hpp"
#include "ward/error.hpp"
#include "ward/keyring/envelope.hpp"
#include "ward/report/publish.hpp"
#include "ward/report/report.hpp"
#include "ward/vault/vault.hpp"

namespace ward::cli {
namespace {

struct ReportOptions {
  std::string since = "30d";
  std::string due = "14d";
  std::string format = "md";
  std::string out = "-";
  std::string auth_cred;
  std::string auth_header = "Authorization";
};

void write_stdout(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// `--out https://…`: the JSON report, authenticated by a stored credential's secret. Its
// `header` field names the header (default Authorization, value "Bearer <secret>" unless the
// credential has `scheme=none`); its `sslrootcert` field, if any, is the only CA trusted.
long publish(Context& ctx, const ReportOptions& o, const std::string& json) {
  report::Destination destination;
  destination.url = o.out;
  if (!o.auth_cred.empty()) {
    vault::Vault vault(ctx.ns());
    const auto credential = vault.read(o.auth_cred);
    const auto secret = credential.secrets.find(credential.secret_field);
    if (secret == credential.secrets.end()) {
      fail(ErrorCode::usage, "credential '" + o.auth_cred + "' has no current secret");
    }
    const auto field = [&](const std::string& key, const std::string& fallback) {
      const auto found = credential.fields.find(key);
      return found == credential.fields.end() ? fallback : found->second;
    };
    destination.header_name = field("header", o.auth_header);
    const auto scheme =
        field("scheme", destination.header_name == "Authorization" ? "Bearer" : "none");
    destination.header_value = crypto::SecretBytes::from(
        (scheme == "none" ? std::string() : scheme + " ") + std::string(secret->second.reveal()));
    destination.ca_pem = field("sslrootcert", "");
  }
  return report::post_json(destination, json);
}

void audit_report(Context& ctx, const ReportOptions& o) {
  if (o.format != "md" && o.format != "json" && o.format != "html" && o.format != "junit") {
    fail(ErrorCode::usage, "unknown report format '" + o.format + "'",
         "use --format md, json, html or junit");
  }
  const bool to_url = o.out.starts_with("https://") || o.out.starts_with("http://");
  if (to_url && o.format != "json") {
    fail(ErrorCode::usage, "--out URL sends the JSON report; use --format json with it");
  }
  report::Options options;
  options.since = util::parse_duration(o.since);
  options.window = util::parse_duration(o.due);
  if (!ctx.options.ns.empty()) options.namespaces.push_back(ctx.options.ns);
  report::Report built;
  std::string document;
  std::string written;
  ctx.audited("audit.report", "", "", [&](nlohmann::json& details) {
    built = report::build(ctx.keyring(), ctx.audit_log(), options);
    if (o.format == "json") {
      document = report::to_json(built).dump(2) + "\n";
    } else if (o.format == "html") {
      document = report_format::html(built);
    } else if (o.format == "junit") {
      document = report_format::junit(built);
    } else {
      document = report_format::markdown(built);
    }
    details = {{"format", o.format},
               {"findings", built.findings.size()},
               {"audit_verified", built.audit.verified}};
    if (to_url) {
      details["destination"] = "url";
      const auto status = publish(ctx, o, document);
      written = o.out + " (HTTP " + std::to_string(status) + ")";
    } else if (o.out == "store") {
      details["destination"] = "store";
      written = report::save(ctx.ns(), o.format, document);
      details["object"] = written;
    } else if (o.out != "-") {
      details["destination"] = "file";
      junit::write_file(o.out, document);
      written = o.out;
    }
  });
  if (o.out == "-") {
    write_stdout(document);
    return;
  }
  if (ctx.json()) {
    print_json({{"schema", "ward.audit.report/v1"},
                {"written", written},
                {"format", o.format},
                {"findings", built.findings.size()},
                {"audit_verified", built.audit.verified}});
  } else {
    print_line("wrote the " + o.format + " report (" + report_format::severity_counts(built) +
               ") to " + written);
  }
}

void audit_export(Context& ctx, const std::string& format, const std::string& since) {
  if (format != "jsonl")
    fail(ErrorCode::usage, "unknown export format '" + format + "'", "use --format jsonl");
  audit::Filter filter;
  if (!since.empty()) filter.since = util::format_time(util::now() - util::parse_duration(since));
  // One ward.audit.event/v1 object per line: the serializer `audit log --json` uses.
  std::string out;
  for (const auto& e : ctx.audit_log().read(filter)) {
    out += e.to_json().dump();
    out += '\n';
    if (out.size() > (1U << 20)) {
      write_stdout(out);
      out.clear();
    }
  }
  write_stdout(out);
}

// `ward audit reports [NAME|latest]`: the reports `audit report --out store` kept. Printing one
// is a read of sealed data, so it is audited like any other.
void audit_reports(Context& ctx, const std::string& name) {
  auto& ns = ctx.ns();
  if (name.empty()) {
    const auto reports = report::list_saved(ns);
    if (ctx.json()) {
      auto list = nlohmann::json::array();
      for (const auto& r : reports) {
        list.push_back({{"name", r.name}, {"time", r.time}, {"format", r.format}});
      }
      print_json(
          {{"schema", "ward.audit.reports/v1"}, {"namespace", ns.name()}, {"reports", list}});
      return;
    }
    if (reports.empty()) {
      print_line("no reports are stored in namespace '" + ns.name() + "'");
      return;
    }
    Table table{{"NAME", "TIME", "FORMAT"}, {}};
    for (const auto& r : reports) table.rows.push_back({r.name, r.time, r.format});
    table.print();
    return;
  }
  std::string document;
  ctx.audited("audit.report.read", name, "", [&](nlohmann::json& details) {
    document = report::load_saved(ns, name);
    details = {{"bytes", document.size()}};
  });
  write_stdout(document);
}

}  // namespace

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

  auto report_options = std::make_shared<ReportOptions>();
  auto* report = audit->add_subcommand(
      "report", "A report for auditors: credentials, keys, checks, backups, redaction, the trail");
  report->add_option("--since", report_options->since, "Audit activity window (default 30d)");
  report->add_option("--due", report_options->due,
                     "Count what falls due within this window as due (default 14d)");
  report->add_option("--format", report_options->format, "md (default), json, html or junit");
  report->add_option("--out", report_options->out,
                     "- (stdout, default), FILE, store (reports/ in the store, sealed), or an "
                     "https:// URL to POST the JSON report to");
  report->add_option("--auth-cred", report_options->auth_cred,
                     "With --out URL: stored credential whose secret authenticates the POST");
  report->footer(
      "Without --ns the report covers every namespace. Each section says when it has no data.");
  set_action(report, [&ctx, report_options] { audit_report(ctx, *report_options); });

  auto stored_name = std::make_shared<std::string>();
  auto* stored = audit->add_subcommand(
      "reports", "List the reports kept with --out store, or print one (NAME or latest)");
  stored->add_option("name", *stored_name, "A stored report's name, or latest");
  stored->footer("Reports are kept in the namespace chosen with --ns (default: default).");
  set_action(stored, [&ctx, stored_name] { audit_reports(ctx, *stored_name); });

  auto export_format = std::make_shared<std::string>("jsonl");
  auto export_since = std::make_shared<std::string>();
  auto* exporter = audit->add_subcommand(
      "export", "Stream audit events as JSON lines (ward.audit.event/v1) for a SIEM");
  exporter->add_option("--format", *export_format, "jsonl (the default and only format)");
  exporter->add_option("--since", *export_since, "Only events newer than this (e.g. 30d)");
  set_action(exporter, [&ctx, export_format, export_since] {
    audit_export(ctx, *export_format, *export_since);
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
