#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "ward/backup/create.hpp"
#include "ward/backup/diff.hpp"
#include "ward/backup/prune.hpp"
#include "ward/backup/restore.hpp"
#include "ward/backup/sources.hpp"
#include "ward/backup/verify.hpp"
#include "ward/error.hpp"

namespace ward::cli {
namespace {

using nlohmann::json;

std::string short_id(const std::string& id) { return id.substr(0, 8); }

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i > 0 ? separator : "") + items[i];
  return out;
}

json stats_json(const backup::SnapshotStats& s) {
  return {{"files", s.files},
          {"directories", s.directories},
          {"symlinks", s.symlinks},
          {"bytes", s.bytes},
          {"new_bytes", s.new_bytes},
          {"dedup_bytes", s.dedup_bytes},
          {"stored_bytes", s.stored_bytes},
          {"chunks", s.chunks},
          {"new_chunks", s.new_chunks},
          {"warnings", s.warnings}};
}

json snapshot_json(const backup::Snapshot& s) {
  return {{"id", s.id},
          {"short_id", short_id(s.id)},
          {"time", util::format_time(s.time)},
          {"source", s.source},
          {"hostname", s.hostname},
          {"username", s.username},
          {"paths", s.paths},
          {"tags", s.tags},
          {"stats", stats_json(s.stats)}};
}

// Dumps with invalid UTF-8 (raw file names) replaced rather than failing.
void print_json_lossy(const json& document) {
  print_line(document.dump(2, ' ', false, json::error_handler_t::replace));
}

struct CreateArgs {
  std::vector<std::string> paths;
  bool use_stdin = false;
  std::string stdin_name;
  std::string from_command;
  std::vector<std::string> tags;
  std::vector<std::string> excludes;
  std::string time;
  std::string source;
  std::string expect_every;
};

// The schedule a create should make sure the store has: --expect-every, else the config
// file's `backup.sources.<name>.expect_every`; none when neither names one.
// The config file as Context::resolve() found it (resolve() has already refused a malformed
// one). TODO(context): Context could keep the parsed document for command-specific keys.
json config_document(const Context& ctx) {
  std::string path = ctx.options.config;
  if (path.empty()) {
    if (const char* env = std::getenv("WARD_CONFIG"); env != nullptr && *env != '\0') path = env;
  }
  if (path.empty()) {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    const std::filesystem::path base =
        xdg != nullptr && *xdg != '\0'
            ? std::filesystem::path(xdg)
            : std::filesystem::path(home != nullptr ? home : "/") / ".config";
    path = (base / "ward" / "config.json").string();
  }
  std::ifstream in(path);
  if (!in) return json::object();
  auto doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  return doc.is_object() ? doc : json::object();
}

std::optional<std::chrono::seconds> wanted_schedule(const Context& ctx, const std::string& flag,
                                                    const std::string& source) {
  if (!flag.empty()) return util::parse_duration(flag);
  const auto config = config_document(ctx);
  if (!config.contains("backup")) return std::nullopt;
  const auto& backup = config["backup"];
  if (!backup.is_object() || !backup.contains("sources")) return std::nullopt;
  const auto& sources = backup["sources"];
  if (!sources.is_object()) {
    fail(ErrorCode::usage, "config file: backup.sources must be an object of source names");
  }
  if (!sources.contains(source)) return std::nullopt;
  const auto& entry = sources[source];
  if (!entry.is_object() || !entry.contains("expect_every") || !entry["expect_every"].is_string()) {
    fail(ErrorCode::usage, "config file: backup.sources[\"" + source +
                               "\"] needs \"expect_every\": a duration such as \"1d\"");
  }
  return util::parse_duration(entry["expect_every"].get<std::string>());
}

json schedule_json(const std::optional<std::chrono::seconds>& every) {
  return every ? json(util::format_duration(*every)) : json(nullptr);
}

void backup_create(Context& ctx, const CreateArgs& args) {
  backup::CreateOptions options;
  options.paths = args.paths;
  options.use_stdin = args.use_stdin;
  options.stdin_name = args.stdin_name;
  options.from_command = args.from_command;
  options.tags = args.tags;
  options.excludes = args.excludes;
  options.source = args.source;
  if (!args.time.empty()) options.time = util::parse_time(args.time);
  if (!args.stdin_name.empty() && !args.use_stdin && args.from_command.empty()) {
    fail(ErrorCode::usage, "--stdin-name needs --stdin or --from-command");
  }
  const auto source = options.source.empty() ? backup::default_source(options) : options.source;
  const auto schedule = wanted_schedule(ctx, args.expect_every, source);
  const auto started = std::chrono::steady_clock::now();
  backup::CreateResult result;
  bool schedule_written = false;
  ctx.audited("backup.create", "", "", [&](json& details) {
    backup::Repository repository(ctx.ns());
    // The schedule first: a create that fails still leaves the plan that makes it overdue.
    if (schedule) {
      const auto record = backup::read_source(repository, source);
      if (!record || record->expect_every != schedule) {
        backup::write_source(repository, source, schedule);
        schedule_written = true;
      }
      details["expect_every"] = util::format_duration(*schedule);
    }
    util::Progress progress;
    options.progress = &progress;
    {
      const ProgressDisplay display(progress, "backing up", progress_wanted(ctx.options.quiet));
      result = backup::create_snapshot(repository, options);
    }
    const auto& s = result.snapshot.stats;
    details.update(stats_json(s));
    details["snapshot"] = result.snapshot.id;
    details["packs"] = result.packs;
    details["parent"] = result.parent;
  });
  if (schedule_written) {
    spdlog::info("backup source '{}' is now expected every {}", source,
                 util::format_duration(*schedule));
  }
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& warning : result.warnings) spdlog::warn("not backed up: {}", warning);
  const auto& snap = result.snapshot;
  const auto& s = snap.stats;
  if (ctx.json()) {
    auto doc = snapshot_json(snap);
    doc["schema"] = "ward.backup.create/v1";
    doc["packs"] = result.packs;
    doc["parent"] = result.parent;
    doc["duration_seconds"] = seconds;
    doc["expect_every"] = schedule_json(schedule);
    print_json_lossy(doc);
    return;
  }
  print_line("snapshot " + short_id(snap.id) + " saved");
  Table table{{"FIELD", "VALUE"}, {}};
  table.rows.push_back({"id", snap.id});
  table.rows.push_back({"time", util::format_time(snap.time)});
  table.rows.push_back({"source", snap.source});
  if (schedule) table.rows.push_back({"expected every", util::format_duration(*schedule)});
  if (!result.parent.empty()) table.rows.push_back({"parent", short_id(result.parent)});
  table.rows.push_back({"files", std::to_string(s.files) + " files, " +
                                     std::to_string(s.directories) + " directories, " +
                                     std::to_string(s.symlinks) + " symlinks"});
  table.rows.push_back({"size", human_size(s.bytes)});
  table.rows.push_back(
      {"new", human_size(s.new_bytes) + " (" + std::to_string(s.new_chunks) + " chunks)"});
  table.rows.push_back({"deduplicated", human_size(s.dedup_bytes)});
  table.rows.push_back(
      {"stored", human_size(s.stored_bytes) + " in " + std::to_string(result.packs) + " pack(s)"});
  std::array<char, 32> duration{};
  std::snprintf(duration.data(), duration.size(), "%.2f s", seconds);
  table.rows.push_back({"duration", duration.data()});
  if (s.warnings > 0)
    table.rows.push_back({"warnings", std::to_string(s.warnings) + " file(s) not backed up"});
  table.print();
}

void backup_list(Context& ctx, const std::vector<std::string>& tags, const std::string& source) {
  std::vector<backup::Snapshot> shown;
  ctx.audited("backup.list", "", "", [&](json& details) {
    backup::Repository repository(ctx.ns());
    for (auto& s : repository.snapshots()) {
      if (!source.empty() && s.source != source) continue;
      bool tagged = true;
      for (const auto& tag : tags) {
        if (std::find(s.tags.begin(), s.tags.end(), tag) == s.tags.end()) tagged = false;
      }
      if (tagged) shown.push_back(std::move(s));
    }
    details["snapshots"] = shown.size();
  });
  if (ctx.json()) {
    json list = json::array();
    for (const auto& s : shown) list.push_back(snapshot_json(s));
    print_json_lossy({{"schema", "ward.backup.list/v1"}, {"snapshots", list}});
    return;
  }
  Table table{{"ID", "TIME", "SOURCE", "TAGS", "FILES", "SIZE", "NEW"}, {}};
  for (const auto& s : shown) {
    table.rows.push_back({short_id(s.id), util::format_time(s.time), s.source, join(s.tags, ","),
                          std::to_string(s.stats.files), human_size(s.stats.bytes),
                          human_size(s.stats.new_bytes)});
  }
  table.print();
  print_line(std::to_string(shown.size()) + " snapshot(s)");
}

void backup_restore(Context& ctx, backup::RestoreOptions options) {
  backup::RestoreResult result;
  ctx.audited("backup.restore", "", "", [&](json& details) {
    backup::Repository repository(ctx.ns());
    util::Progress progress;
    options.progress = &progress;
    {
      const ProgressDisplay display(progress, "restoring", progress_wanted(ctx.options.quiet));
      result = backup::restore_snapshot(repository, options);
    }
    details = {{"snapshot", result.snapshot.id},
               {"files", result.files},
               {"directories", result.directories},
               {"symlinks", result.symlinks},
               {"bytes", result.bytes},
               {"includes", options.includes.size()},
               {"overwrite", options.overwrite}};
  });
  for (const auto& warning : result.warnings) spdlog::warn("{}", warning);
  if (ctx.json()) {
    print_json_lossy({{"schema", "ward.backup.restore/v1"},
                      {"snapshot", result.snapshot.id},
                      {"target", options.target},
                      {"files", result.files},
                      {"directories", result.directories},
                      {"symlinks", result.symlinks},
                      {"bytes", result.bytes},
                      {"warnings", result.warnings.size()}});
    return;
  }
  print_line("restored snapshot " + short_id(result.snapshot.id) + " to " + options.target + ": " +
             std::to_string(result.files) + " files, " + std::to_string(result.directories) +
             " directories, " + std::to_string(result.symlinks) + " symlinks, " +
             human_size(result.bytes));
}

void backup_verify(Context& ctx, bool read_data, const std::string& subset_text) {
  backup::VerifyOptions options;
  options.read_data = read_data;
  if (!subset_text.empty()) {
    std::string number = subset_text;
    if (number.ends_with('%')) number.pop_back();
    char* end = nullptr;
    const double percent = std::strtod(number.c_str(), &end);
    if (number.empty() || end == nullptr || *end != '\0' || !(percent > 0 && percent <= 100)) {
      fail(ErrorCode::usage,
           "--read-data-subset takes a percentage between 0 and 100, such as 10%");
    }
    options.read_subset = percent;
  }
  backup::VerifyReport report;
  {
    backup::Repository repository(ctx.ns());
    report = backup::verify_repository(repository, options);
    // Kept in the store, so `backup source list`, `status` and reports elsewhere can tell a
    // verified latest snapshot from an unverified one.
    backup::record_verification(repository, options, report, report.snapshot_ids);
  }
  const bool ok = report.problems.empty();
  ctx.record("backup.verify", "", "", ok ? "ok" : "findings", ok ? 0 : 1,
             {{"snapshots", report.snapshots},
              {"packs", report.packs},
              {"packs_read", report.packs_read},
              {"chunks_read", report.blobs_read},
              {"problems", report.problems.size()}});
  if (ctx.json()) {
    print_json({{"schema", "ward.backup.verify/v1"},
                {"ok", ok},
                {"snapshots", report.snapshots},
                {"index_objects", report.index_objects},
                {"packs", report.packs},
                {"chunks", report.blobs},
                {"packs_read", report.packs_read},
                {"chunks_read", report.blobs_read},
                {"bytes_read", report.bytes_read},
                {"problems", report.problems},
                {"notes", report.notes}});
  } else {
    print_line(std::string(ok ? "backups intact" : "backup verification FAILED") + ": " +
               std::to_string(report.snapshots) + " snapshots, " + std::to_string(report.packs) +
               " packs, " + std::to_string(report.blobs) + " chunks" +
               (report.packs_read > 0 ? ", " + std::to_string(report.packs_read) + " packs (" +
                                            human_size(report.bytes_read) + ") read and checked"
                                      : std::string()));
    for (const auto& problem : report.problems) print_line("problem: " + problem);
    for (const auto& note : report.notes) print_line("note: " + note);
  }
  if (!ok) {
    fail(ErrorCode::findings,
         "backup verification found " + std::to_string(report.problems.size()) + " problem(s)",
         "restore what you can from snapshots that verify, and make a new backup");
  }
}

void backup_diff(Context& ctx, const std::string& from, const std::string& to) {
  backup::DiffReport report;
  ctx.audited("backup.diff", "", "", [&](json& details) {
    backup::Repository repository(ctx.ns());
    report = backup::diff_snapshots(repository, from, to);
    details = {{"from", report.from.id},      {"to", report.to.id},
               {"added", report.added},       {"removed", report.removed},
               {"modified", report.modified}, {"metadata", report.metadata}};
  });
  if (ctx.json()) {
    json changes = json::array();
    for (const auto& c : report.changes) {
      changes.push_back(
          {{"change", std::string(1, static_cast<char>(c.change))}, {"path", "/" + c.path}});
    }
    print_json_lossy({{"schema", "ward.backup.diff/v1"},
                      {"from", report.from.id},
                      {"to", report.to.id},
                      {"added", report.added},
                      {"removed", report.removed},
                      {"modified", report.modified},
                      {"metadata", report.metadata},
                      {"changes", changes}});
    return;
  }
  print_line("comparing snapshot " + short_id(report.from.id) + " to " + short_id(report.to.id));
  for (const auto& c : report.changes) {
    print_line(std::string(1, static_cast<char>(c.change)) + "    /" + c.path);
  }
  print_line(std::to_string(report.added) + " added, " + std::to_string(report.removed) +
             " removed, " + std::to_string(report.modified) + " modified, " +
             std::to_string(report.metadata) + " with changed metadata");
}

void backup_prune(Context& ctx, const backup::PruneOptions& options) {
  backup::PruneReport report;
  ctx.audited("backup.prune", "", "", [&](json& details) {
    backup::Repository repository(ctx.ns());
    report = backup::prune(repository, options);
    details = {{"dry_run", options.dry_run},
               {"snapshots_kept", report.decisions.size() - report.snapshots_removed},
               {"snapshots_removed", report.snapshots_removed},
               {"packs_removed", report.packs_removed},
               {"packs_repacked", report.packs_repacked},
               {"packs_written", report.packs_written},
               {"orphan_packs", report.orphan_packs},
               {"bytes_removed", report.bytes_removed},
               {"bytes_written", report.bytes_written}};
  });
  if (ctx.json()) {
    json decisions = json::array();
    for (const auto& d : report.decisions) {
      decisions.push_back({{"id", d.snapshot.id},
                           {"time", util::format_time(d.snapshot.time)},
                           {"source", d.snapshot.source},
                           {"keep", d.keep},
                           {"reasons", d.reasons}});
    }
    print_json_lossy({{"schema", "ward.backup.prune/v1"},
                      {"dry_run", options.dry_run},
                      {"snapshots", decisions},
                      {"snapshots_removed", report.snapshots_removed},
                      {"packs_removed", report.packs_removed},
                      {"packs_repacked", report.packs_repacked},
                      {"packs_written", report.packs_written},
                      {"orphan_packs", report.orphan_packs},
                      {"chunks_removed", report.chunks_removed},
                      {"bytes_removed", report.bytes_removed},
                      {"bytes_written", report.bytes_written},
                      {"stale_locks", report.stale_locks}});
    return;
  }
  Table table{{"ID", "TIME", "SOURCE", "ACTION", "REASONS"}, {}};
  for (const auto& d : report.decisions) {
    table.rows.push_back(
        {short_id(d.snapshot.id), util::format_time(d.snapshot.time), d.snapshot.source,
         d.keep ? "keep" : (options.dry_run ? "would remove" : "remove"), join(d.reasons, ",")});
  }
  table.print();
  const std::string verb = options.dry_run ? "would remove " : "removed ";
  print_line(verb + std::to_string(report.snapshots_removed) + " snapshot(s); " +
             std::to_string(report.packs_removed) + " unused and " +
             std::to_string(report.packs_repacked) + " repacked pack(s) (" +
             human_size(report.bytes_removed) + " freed, " + human_size(report.bytes_written) +
             " rewritten), " + std::to_string(report.orphan_packs) +
             " pack(s) left by interrupted creates");
}

struct SourceSetArgs {
  std::string name;
  std::string expect_every;
  bool unscheduled = false;
};

void backup_source_set(Context& ctx, const SourceSetArgs& args) {
  if (args.expect_every.empty() == !args.unscheduled) {
    fail(ErrorCode::usage, "give --expect-every DURATION or --unscheduled",
         "for example: ward backup source set db --expect-every 1d");
  }
  std::optional<std::chrono::seconds> every;
  if (!args.unscheduled) every = util::parse_duration(args.expect_every);
  backup::SourceRecord record;
  backup::Repository repository(ctx.ns());
  ctx.audited("backup.source.set", args.name, backup::source_id(repository, args.name),
              [&](json& details) {
                record = backup::write_source(repository, args.name, every);
                details = {{"expect_every", schedule_json(every)}, {"version", record.version}};
              });
  if (ctx.json()) {
    print_json_lossy({{"schema", "ward.backup.source.set/v1"},
                      {"name", record.name},
                      {"expect_every", schedule_json(record.expect_every)},
                      {"version", record.version},
                      {"updated", util::format_time(record.updated)}});
    return;
  }
  print_line("backup source '" + record.name + "' " +
             (every ? "is expected every " + util::format_duration(*every)
                    : std::string("has no schedule")));
}

std::string age_text(util::TimePoint then, util::TimePoint now) {
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - then);
  if (age.count() < 0) return "in the future";
  if (age < std::chrono::minutes(1)) return "just now";
  // Whole minutes are enough to judge a schedule by.
  return util::format_duration(std::chrono::duration_cast<std::chrono::minutes>(age)) + " ago";
}

json verification_json(const backup::VerificationRecord& v) {
  return {{"time", util::format_time(v.time)},
          {"ok", v.ok},
          {"read_data", v.read_data},
          {"read_subset", v.read_subset},
          {"problems", v.problems},
          {"packs_read", v.packs_read}};
}

void backup_source_list(Context& ctx) {
  backup::SourcesReport report;
  const auto now = util::now();
  ctx.audited("backup.source.list", "", "", [&](json& details) {
    backup::Repository repository(ctx.ns());
    report = backup::list_sources(repository, now);
    details["sources"] = report.sources.size();
  });
  if (ctx.json()) {
    json list = json::array();
    for (const auto& s : report.sources) {
      json item{{"name", s.name},
                {"expect_every", schedule_json(s.expect_every)},
                {"snapshots", s.snapshots},
                {"schedule", backup::to_string(s.schedule)},
                {"verify", backup::to_string(s.verify)}};
      item["latest"] = s.latest
                           ? json{{"id", s.latest->id}, {"time", util::format_time(s.latest->time)}}
                           : json(nullptr);
      item["due_at"] = s.due_at ? json(util::format_time(*s.due_at)) : json(nullptr);
      item["last_verify"] = s.last_verify ? verification_json(*s.last_verify) : json(nullptr);
      list.push_back(std::move(item));
    }
    print_json_lossy({{"schema", "ward.backup.source.list/v1"},
                      {"sources", list},
                      {"last_verify", report.last_verify ? verification_json(*report.last_verify)
                                                         : json(nullptr)}});
    return;
  }
  Table table{{"SOURCE", "EVERY", "SNAPSHOTS", "LATEST", "SCHEDULE", "VERIFY"}, {}};
  for (const auto& s : report.sources) {
    table.rows.push_back(
        {s.name, s.expect_every ? util::format_duration(*s.expect_every) : "-",
         std::to_string(s.snapshots),
         s.latest ? short_id(s.latest->id) + " " + age_text(s.latest->time, now) : "never",
         backup::to_string(s.schedule), backup::to_string(s.verify)});
  }
  table.print();
  if (report.last_verify) {
    const auto& v = *report.last_verify;
    print_line("last verify " + age_text(v.time, now) + ": " + (v.ok ? "ok" : "FAILED") +
               (v.read_data         ? " (read every pack)"
                : v.read_subset > 0 ? " (read a subset)"
                                    : " (structure)"));
  } else {
    print_line("no verify recorded yet: run `ward backup verify`");
  }
}

}  // namespace

void register_backup(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("backup", "Encrypted, deduplicated backups with retention");
  group->require_subcommand(1);

  auto create_args = std::make_shared<CreateArgs>();
  auto* create = group->add_subcommand("create", "Back up paths, stdin or a command's output");
  create->add_option("paths", create_args->paths, "Files and directories to back up");
  create->add_flag("--stdin", create_args->use_stdin, "Back up standard input");
  create->add_option("--stdin-name", create_args->stdin_name,
                     "File name for --stdin or --from-command data (default: stdin)");
  create->add_option("--from-command", create_args->from_command,
                     "Back up the standard output of this shell command (e.g. 'pg_dump db')");
  create->add_option("--tag", create_args->tags, "Tag the snapshot (repeatable)");
  create->add_option("--exclude", create_args->excludes,
                     "Skip paths matching this glob (repeatable; without '/', matches names)");
  create->add_option("--time", create_args->time,
                     "Record this time (RFC 3339, e.g. 2026-11-01T02:00:00Z) instead of now");
  create->add_option("--source", create_args->source,
                     "Source name for retention and listing (default: host and paths)");
  create->add_option("--expect-every", create_args->expect_every,
                     "Record that this source is backed up every DURATION (e.g. 1d), so status "
                     "and reports flag a missed backup");
  set_action(create, [&ctx, create_args] { backup_create(ctx, *create_args); });

  auto list_tags = std::make_shared<std::vector<std::string>>();
  auto list_source = std::make_shared<std::string>();
  auto* list = group->add_subcommand("list", "List snapshots");
  list->add_option("--tag", *list_tags, "Only snapshots with this tag (repeatable: all of them)");
  list->add_option("--source", *list_source, "Only snapshots of this source");
  set_action(list, [&ctx, list_tags, list_source] { backup_list(ctx, *list_tags, *list_source); });

  auto diff_ids = std::make_shared<std::vector<std::string>>();
  auto* diff = group->add_subcommand("diff", "Show what changed between two snapshots");
  diff->add_option("snapshots", *diff_ids, "Two snapshot ids (or prefixes, or latest)")
      ->required()
      ->expected(2);
  set_action(diff, [&ctx, diff_ids] { backup_diff(ctx, (*diff_ids)[0], (*diff_ids)[1]); });

  auto restore_options = std::make_shared<backup::RestoreOptions>();
  auto* restore =
      group->add_subcommand("restore", "Restore a snapshot, or part of it, into a directory");
  restore->add_option("snapshot", restore_options->snapshot, "Snapshot id, prefix, or latest")
      ->required();
  restore->add_option("--to", restore_options->target, "Directory to restore into")->required();
  restore->add_option("--include", restore_options->includes,
                      "Restore only this path and what is below it (repeatable)");
  restore->add_flag("--overwrite", restore_options->overwrite, "Replace existing files");
  set_action(restore, [&ctx, restore_options] { backup_restore(ctx, *restore_options); });

  auto read_data = std::make_shared<bool>(false);
  auto subset = std::make_shared<std::string>();
  auto* verify =
      group->add_subcommand("verify", "Check backup structure, and optionally every byte");
  verify->add_flag("--read-data", *read_data, "Read and check every pack");
  verify->add_option("--read-data-subset", *subset,
                     "Read and check a random share of packs, e.g. 10%");
  set_action(verify, [&ctx, read_data, subset] { backup_verify(ctx, *read_data, *subset); });

  auto prune_options = std::make_shared<backup::PruneOptions>();
  auto* prune = group->add_subcommand("prune", "Apply the retention policy and remove unused data");
  prune->add_option("--keep-last", prune_options->policy.last, "Keep the N newest snapshots");
  prune->add_option("--keep-daily", prune_options->policy.daily,
                    "Keep the newest snapshot of each of N days");
  prune->add_option("--keep-weekly", prune_options->policy.weekly,
                    "Keep the newest snapshot of each of N weeks");
  prune->add_option("--keep-monthly", prune_options->policy.monthly,
                    "Keep the newest snapshot of each of N months");
  prune->add_flag("--dry-run", prune_options->dry_run,
                  "Show what would be removed, change nothing");
  set_action(prune, [&ctx, prune_options] { backup_prune(ctx, *prune_options); });

  auto* source = group->add_subcommand("source", "Named backup sources and their schedules");
  source->require_subcommand(1);
  auto set_args = std::make_shared<SourceSetArgs>();
  auto* source_set =
      source->add_subcommand("set", "Set how often a source is expected to be backed up");
  source_set->add_option("name", set_args->name, "Source name (as `backup list` shows it)")
      ->required();
  source_set->add_option("--expect-every", set_args->expect_every,
                         "Expected interval between snapshots, e.g. 1d or 12h");
  source_set->add_flag("--unscheduled", set_args->unscheduled, "Remove the source's schedule");
  set_action(source_set, [&ctx, set_args] { backup_source_set(ctx, *set_args); });
  auto* source_list = source->add_subcommand(
      "list", "List sources with their schedule, latest snapshot and verify state");
  set_action(source_list, [&ctx] { backup_source_list(ctx); });
}

}  // namespace ward::cli
