// ward redact: scan | run | jobs | reveal. Wiring and output only; the work is in src/redact.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "output.hpp"
#include "secret_input.hpp"
#include "ward/error.hpp"
#include "ward/redact/file_redact.hpp"
#include "ward/redact/job.hpp"
#include "ward/redact/run_record.hpp"
#include "ward/util/duration.hpp"
#include "ward/vault/vault.hpp"

namespace ward::cli {
namespace {

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::stringstream stream(item);
    std::string part;
    while (std::getline(stream, part, ',')) {
      if (!part.empty()) out.push_back(part);
    }
  }
  return out;
}

nlohmann::json detectors_json(const redact::Stats& stats) {
  auto out = nlohmann::json::object();
  for (const auto& [name, count] : stats.detectors) {
    const auto samples = stats.samples.find(name);
    out[name] = {
        {"count", count},
        {"samples", samples == stats.samples.end() ? std::vector<std::string>{} : samples->second}};
  }
  return out;
}

void print_detector_table(const redact::Stats& stats) {
  Table table{{"DETECTOR", "ITEMS", "MASKED SAMPLES"}, {}};
  for (const auto& [name, count] : stats.detectors) {
    std::string samples;
    if (const auto found = stats.samples.find(name); found != stats.samples.end()) {
      for (const auto& sample : found->second) samples += (samples.empty() ? "" : "  ") + sample;
    }
    table.rows.push_back({name, std::to_string(count), samples});
  }
  table.print();
}

struct ScanCommand {
  std::vector<std::string> paths;
  std::string input_format = "auto";
  std::vector<std::string> detectors;
  std::size_t samples = 3;
};

void run_scan(Context& ctx, const ScanCommand& o) {
  const auto scanner =
      std::make_shared<const redact::Scanner>(redact::select_detectors(split_list(o.detectors)));
  auto paths = o.paths.empty() ? std::vector<std::string>{"-"} : o.paths;
  redact::Stats total;
  auto files = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& path : paths) {
    redact::FileRedaction redaction;
    redaction.format = redact::parse_input_format(o.input_format, path == "-" ? "" : path);
    redaction.scanner = scanner;
    redaction.samples = o.samples;
    redact::FileIo io;
    io.input = path;
    const auto result = redact::process_file(redaction, io);
    total.merge(result.stats, o.samples);
    files.push_back({{"path", path},
                     {"format", redact::to_string(redaction.format)},
                     {"bytes", result.stats.bytes},
                     {"items", result.stats.items},
                     {"detectors", result.stats.detectors},
                     {"fields", result.stats.fields}});
    if (result.stats.fields.empty()) {
      rows.push_back({path, "", std::to_string(result.stats.items)});
    }
    for (const auto& [field, count] : result.stats.fields) {
      rows.push_back({path, field, std::to_string(count)});
    }
  }
  if (ctx.json()) {
    print_json({{"schema", "ward.redact.scan/v1"},
                {"found", total.items},
                {"bytes", total.bytes},
                {"detectors", detectors_json(total)},
                {"files", files}});
  } else if (total.items == 0) {
    print_line("no personal data or secrets found in " + std::to_string(paths.size()) +
               (paths.size() == 1 ? " input" : " inputs"));
  } else {
    print_detector_table(total);
    print_line("");
    Table per_file{{"INPUT", "FIELD", "ITEMS"}, std::move(rows)};
    per_file.print();
  }
  if (total.items > 0) {
    fail(ErrorCode::findings, std::to_string(total.items) + " item" +
                                  (total.items == 1 ? "" : "s") +
                                  " of personal data or secrets found");
  }
}

struct RunCommand {
  std::vector<std::string> inputs;
  std::string input_format = "auto";
  std::vector<std::string> detectors;
  std::string action;
  std::size_t keep = 4;
  std::string replacement;
  std::vector<std::string> columns;
  std::string output;
  bool in_place = false;
  bool dry_run = false;
};

redact::ActionKeys keys_for(Context& ctx, bool needed) {
  redact::ActionKeys keys;
  if (!needed) return keys;
  auto& ns = ctx.ns();
  keys.pseudonym_key = &ns.pseudonym_key();
  keys.token_key = &ns.token_key();
  return keys;
}

void print_run(Context& ctx, const redact::JobResult& result, bool dry_run,
               const std::string& schema) {
  const auto& record = result.record;
  if (ctx.json()) {
    auto document = redact::to_json(record);
    document["schema"] = schema;
    document["dry_run"] = dry_run;
    document["detectors"] = detectors_json(result.stats);
    print_json(document);
    return;
  }
  print_line(std::string(dry_run ? "would redact " : "redacted ") + std::to_string(record.items) +
             " item" + (record.items == 1 ? "" : "s") + " (" +
             std::to_string(record.files_touched) + " files, " +
             std::to_string(record.rows_touched) + " rows) in " +
             std::to_string(record.duration_ms) + " ms");
  if (!result.stats.detectors.empty()) print_detector_table(result.stats);
  if (!record.columns.empty()) {
    Table columns{{"COLUMN/FIELD", "ITEMS"}, {}};
    for (const auto& [name, count] : record.columns)
      columns.rows.push_back({name, std::to_string(count)});
    columns.print();
  }
}

void run_job_file(Context& ctx, const RunCommand& o) {
  const auto spec = redact::load_job(o.inputs.front());
  redact::JobEnvironment env;
  // Every job run is recorded in the store, so a job always opens it.
  auto& ns = ctx.ns();
  env.keys = keys_for(ctx, true);
  env.credential = [&ns](const std::string& name) {
    vault::Vault vault(ns);
    auto credential = vault.read(name);
    if (credential.type != "postgres") {
      fail(ErrorCode::usage,
           "credential '" + name + "' is of type " + credential.type + ", not postgres");
    }
    return credential;
  };
  bool changes_started = false;
  env.changes_started = &changes_started;
  const auto job_id = ns.object_id("redact-job:" + spec.name);
  redact::JobResult result;
  ctx.audited(o.dry_run ? "redact.dry-run" : "redact.run", spec.name, job_id,
              [&](nlohmann::json& details) {
                const auto started = util::format_time(util::now());
                try {
                  result = redact::run_job(spec, env, o.dry_run);
                } catch (const Error& e) {
                  if (!o.dry_run && changes_started) {
                    redact::RunRecord failed;
                    failed.job = spec.name;
                    failed.started = started;
                    failed.finished = util::format_time(util::now());
                    failed.status = "failed";
                    failed.error = e.what();
                    failed.expect_every = spec.expect_every;
                    redact::RunStore(ns).save(failed);
                  }
                  throw;
                }
                details["items"] = result.record.items;
                details["rows_touched"] = result.record.rows_touched;
                details["files_touched"] = result.record.files_touched;
                details["detectors"] = result.record.detectors;
                details["duration_ms"] = result.record.duration_ms;
                if (!o.dry_run) redact::RunStore(ns).save(result.record);
              });
  print_run(ctx, result, o.dry_run, "ward.redact.run/v1");
}

void run_ad_hoc(Context& ctx, const RunCommand& o) {
  if (o.action.empty())
    fail(ErrorCode::usage, "an ad-hoc run needs --action", "or give a JOB.json alone");
  if (o.in_place == !o.output.empty() && !o.dry_run) {
    fail(ErrorCode::usage, "give exactly one of -o FILE (- for stdout) and --in-place");
  }
  if (!o.output.empty() && o.inputs.size() != 1) {
    fail(ErrorCode::usage, "-o takes one input; use --in-place for several");
  }
  redact::ActionSpec action;
  action.kind = redact::parse_action(o.action);
  action.keep = o.keep;
  action.replacement = o.replacement;
  const bool keyed = redact::Redactor::needs_keys(action.kind);
  const auto keys = keys_for(ctx, keyed);
  const auto detectors = split_list(o.detectors);
  const auto scanner = std::make_shared<const redact::Scanner>(redact::select_detectors(detectors));
  const auto redactor = std::make_shared<const redact::Redactor>(action, keys);
  redact::JobResult result;
  result.record.job = "ad-hoc";
  const auto started = std::chrono::steady_clock::now();
  const auto body = [&] {
    for (const auto& input : o.inputs) {
      redact::FileRedaction redaction;
      redaction.format = redact::parse_input_format(o.input_format, input == "-" ? "" : input);
      redaction.scanner = scanner;
      redaction.redactor = redactor;
      for (const auto& column : o.columns) {
        redaction.rules.push_back({column, detectors.empty() ? nullptr : scanner, redactor});
      }
      redact::FileIo io;
      io.input = input;
      io.output = o.output;
      io.in_place = o.in_place;
      io.dry_run = o.dry_run;
      const auto outcome = redact::process_file(redaction, io);
      if (outcome.changed) ++result.record.files_touched;
      result.stats.merge(outcome.stats, 3);
    }
    result.record.items = result.stats.items;
    result.record.detectors = result.stats.detectors;
    result.record.columns = result.stats.fields;
    result.record.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - started)
                                    .count();
  };
  if (keyed && !o.dry_run) {
    // The keyed actions opened the store anyway: record that they ran.
    ctx.audited("redact.run", "ad-hoc", "", [&](nlohmann::json& details) {
      body();
      details["items"] = result.record.items;
      details["files_touched"] = result.record.files_touched;
      details["detectors"] = result.record.detectors;
    });
  } else {
    body();
  }
  // Writing the redacted data to stdout leaves no room for a summary there.
  if (o.output == "-" && !o.dry_run) return;
  print_run(ctx, result, o.dry_run, "ward.redact.run/v1");
}

void run_jobs(Context& ctx, const std::vector<std::string>& job_files) {
  auto& ns = ctx.ns();
  std::vector<redact::RunRecord> latest;
  ctx.audited("redact.jobs", "", "", [&](nlohmann::json& details) {
    latest = redact::list_runs(ns, {.job = std::nullopt, .latest_only = true});
    details["jobs"] = latest.size();
  });
  // Job files named on the command line are listed even before their first run.
  std::map<std::string, std::optional<std::chrono::seconds>> schedules;
  for (const auto& file : job_files) {
    const auto spec = redact::load_job(file);
    schedules[spec.name] = spec.expect_every;
  }
  for (const auto& record : latest) {
    if (!schedules.contains(record.job)) schedules[record.job] = record.expect_every;
  }
  const auto now = util::now();
  auto jobs = nlohmann::json::array();
  Table table{{"JOB", "LAST RUN", "STATUS", "ITEMS", "ROWS", "FILES", "EXPECT EVERY", "DUE"}, {}};
  for (const auto& [name, every] : schedules) {
    const auto found = std::ranges::find(latest, name, &redact::RunRecord::job);
    const redact::RunRecord* record = found == latest.end() ? nullptr : &*found;
    std::string due = "-";
    bool overdue = false;
    if (every) {
      if (record == nullptr) {
        due = "never run";
        overdue = true;
      } else {
        const auto next = util::parse_time(record->started) + *every;
        overdue = next < now;
        due = overdue ? "overdue since " + util::format_time(next) : util::format_time(next);
      }
    }
    nlohmann::json job = {
        {"name", name},
        {"expect_every",
         every ? nlohmann::json(util::format_duration(*every)) : nlohmann::json(nullptr)},
        {"overdue", overdue},
        {"last_run", record ? redact::to_json(*record) : nlohmann::json(nullptr)}};
    if (job["last_run"].is_object()) job["last_run"].erase("schema");
    jobs.push_back(job);
    table.rows.push_back({name, record ? record->started : "never", record ? record->status : "-",
                          record ? std::to_string(record->items) : "-",
                          record ? std::to_string(record->rows_touched) : "-",
                          record ? std::to_string(record->files_touched) : "-",
                          every ? util::format_duration(*every) : "-", due});
  }
  if (ctx.json()) {
    print_json({{"schema", "ward.redact.jobs/v1"}, {"jobs", jobs}});
  } else if (schedules.empty()) {
    print_line("no redaction jobs have run in this namespace");
  } else {
    table.print();
  }
}

void run_reveal(Context& ctx, const std::vector<std::string>& tokens) {
  std::vector<std::string> input = tokens;
  if (input.empty() || (input.size() == 1 && input.front() == "-")) {
    input.clear();
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) input.push_back(line);
    }
  }
  auto& ns = ctx.ns();
  std::vector<crypto::SecretBytes> values;
  ctx.audited("redact.reveal", "", "", [&](nlohmann::json& details) {
    for (const auto& token : input) values.push_back(redact::reveal_token(token, ns.token_key()));
    details["tokens"] = values.size();
  });
  if (ctx.json()) {
    auto list = nlohmann::json::array();
    for (std::size_t i = 0; i < values.size(); ++i) {
      list.push_back({{"token", input[i]}, {"value", std::string(values[i].reveal())}});
    }
    print_json({{"schema", "ward.redact.reveal/v1"}, {"values", list}});
    return;
  }
  for (const auto& value : values) print_line(std::string(value.reveal()));
}

}  // namespace

void register_redact(CLI::App& app, Context& ctx) {
  auto* redact_group = app.add_subcommand(
      "redact", "Find and redact personal data and secrets in files and database tables");
  redact_group->require_subcommand(1);

  std::string detector_help = "Detectors, comma-separated (default all):";
  for (const auto& detector : redact::builtin_detectors()) {
    detector_help += " " + std::string(detector->name());
  }

  auto scan_options = std::make_shared<ScanCommand>();
  auto* scan = redact_group->add_subcommand(
      "scan", "Count personal data and secrets per detector and field; exit 1 when any is found");
  scan->add_option("PATH", scan_options->paths, "Files to scan; - (the default) reads stdin");
  scan->add_option("--input-format", scan_options->input_format,
                   "auto (by extension), text, csv, jsonl or json")
      ->check(CLI::IsMember({"auto", "text", "csv", "jsonl", "json"}));
  scan->add_option("--detectors", scan_options->detectors, detector_help)->allow_extra_args(false);
  scan->add_option("--samples", scan_options->samples,
                   "Masked samples shown per detector (default 3)");
  set_action(scan, [&ctx, scan_options] { run_scan(ctx, *scan_options); });

  auto run_options = std::make_shared<RunCommand>();
  auto* run = redact_group->add_subcommand(
      "run", "Run a redaction job (JOB.json), or redact files ad hoc with --action");
  run->add_option("INPUT", run_options->inputs,
                  "A job file, or with --action the files to redact (- for stdin)")
      ->required();
  run->add_option("--input-format", run_options->input_format,
                  "auto (by extension), text, csv, jsonl or json")
      ->check(CLI::IsMember({"auto", "text", "csv", "jsonl", "json"}));
  run->add_option("--detectors", run_options->detectors, detector_help)->allow_extra_args(false);
  run->add_option("--action", run_options->action,
                  "mask, partial, hash, encrypt, drop or replace (ad-hoc runs)")
      ->check(CLI::IsMember({"mask", "partial", "hash", "encrypt", "drop", "replace"}));
  run->add_option("--keep", run_options->keep, "partial: characters kept at the end (default 4)");
  run->add_option("--replacement", run_options->replacement, "replace: the constant text");
  run->add_option("--column", run_options->columns,
                  "Only this CSV column or JSON field path ($.user.email); repeatable")
      ->allow_extra_args(false);
  run->add_option("-o,--output", run_options->output, "Write the result here (- for stdout)");
  run->add_flag("--in-place", run_options->in_place,
                "Replace each input atomically (temp file, fsync, rename; mode kept)");
  run->add_flag("--dry-run", run_options->dry_run, "Count what would change; change nothing");
  set_action(run, [&ctx, run_options] {
    const auto& o = *run_options;
    const bool ad_hoc = !o.action.empty() || o.in_place || !o.output.empty() ||
                        !o.detectors.empty() || !o.columns.empty();
    if (ad_hoc) {
      run_ad_hoc(ctx, o);
    } else {
      if (o.inputs.size() != 1) {
        fail(ErrorCode::usage, "give one job file", "or --action … to redact files ad hoc");
      }
      run_job_file(ctx, o);
    }
  });

  auto job_files = std::make_shared<std::vector<std::string>>();
  auto* jobs = redact_group->add_subcommand(
      "jobs", "List redaction jobs, their last runs and whether they are overdue");
  jobs->add_option("JOB", *job_files, "Job files to include even if they never ran");
  set_action(jobs, [&ctx, job_files] { run_jobs(ctx, *job_files); });

  auto tokens = std::make_shared<std::vector<std::string>>();
  auto* reveal = redact_group->add_subcommand(
      "reveal", "Decrypt tokens made by the encrypt action (needs the store unlocked)");
  reveal->add_option("TOKEN", *tokens,
                     "wtk1.… tokens; none or - reads them from stdin, one a line");
  set_action(reveal, [&ctx, tokens] { run_reveal(ctx, *tokens); });
}

}  // namespace ward::cli
