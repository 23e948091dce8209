#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "ward/backup/create.hpp"
#include "ward/backup/diff.hpp"
#include "ward/backup/prune.hpp"
#include "ward/backup/restore.hpp"
#include "ward/backup/verify.hpp"
#include "ward/error.hpp"

namespace ward::cli {
namespace {

using nlohmann::json;

std::string human_size(std::uint64_t bytes) {
  static constexpr std::array<const char*, 5> units = {"B", "KiB", "MiB", "GiB", "TiB"};
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < units.size()) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return std::to_string(bytes) + " B";
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.1f %s", value, units[unit]);
  return text.data();
}

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
};

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
  const auto started = std::chrono::steady_clock::now();
  backup::CreateResult result;
  ctx.audited("backup.create", "", "", [&](json& details) {
    backup::Repository repository(ctx.ns());
    result = backup::create_snapshot(repository, options);
    const auto& s = result.snapshot.stats;
    details = stats_json(s);
    details["snapshot"] = result.snapshot.id;
    details["packs"] = result.packs;
    details["parent"] = result.parent;
  });
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
    print_json_lossy(doc);
    return;
  }
  print_line("snapshot " + short_id(snap.id) + " saved");
  Table table{{"FIELD", "VALUE"}, {}};
  table.rows.push_back({"id", snap.id});
  table.rows.push_back({"time", util::format_time(snap.time)});
  table.rows.push_back({"source", snap.source});
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

void backup_restore(Context& ctx, const backup::RestoreOptions& options) {
  backup::RestoreResult result;
  ctx.audited("backup.restore", "", "", [&](json& details) {
    backup::Repository repository(ctx.ns());
    result = backup::restore_snapshot(repository, options);
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
}

}  // namespace ward::cli
