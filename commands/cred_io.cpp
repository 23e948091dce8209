// `ward cred import` and `ward cred export`: moving credentials in from a .env file, a JSON
// document or a pass store, and out as ward.cred.export/v1. The readers and the writer are in
// src/vault/transfer.cpp; this file checks the whole import against the store before it writes
// anything, writes, audits, and prints.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "commands.hpp"
#include "cred_common.hpp"
#include "output.hpp"
#include "secret_input.hpp"
#include "ward/error.hpp"
#include "ward/util/duration.hpp"
#include "ward/vault/transfer.hpp"
#include "ward/vault/vault.hpp"

namespace ward::cli {
namespace {

struct ImportOptions {
  std::string path;
  std::string input_format;
  std::string type = "generic";
  std::string prefix;
  bool overwrite = false;
  bool dry_run = false;
};

std::string default_pass_store() {
  if (const char* dir = std::getenv("PASSWORD_STORE_DIR"); dir != nullptr && *dir != '\0')
    return dir;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.password-store";
}

vault::ImportFormat choose_format(const ImportOptions& o, const crypto::SecretBytes* text) {
  if (!o.input_format.empty()) return vault::parse_import_format(o.input_format);
  if (o.path.ends_with(".json")) return vault::ImportFormat::json;
  if (text != nullptr) {
    // stdin or a file of another name: a document that opens with '{' is JSON.
    for (const char c : text->reveal()) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
      return c == '{' ? vault::ImportFormat::json : vault::ImportFormat::env;
    }
  }
  return vault::ImportFormat::env;
}

struct Planned {
  vault::ImportItem item;
  bool exists = false;
  std::uint32_t version = 0;  // written (or, for a dry run, the version it would get)
};

nlohmann::json plan_json(const std::vector<Planned>& plan, const std::string& source,
                         vault::ImportFormat format, bool dry_run) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& p : plan) {
    items.push_back({{"name", p.item.name},
                     {"type", p.item.type},
                     {"action", p.exists ? "new_version" : "add"},
                     {"version", p.version},
                     {"origin", p.item.origin},
                     {"fields", nlohmann::json(p.item.fields).size()},
                     {"secret_fields", p.item.secrets.size()}});
  }
  return {{"schema", "ward.cred.import/v1"},
          {"source", source},
          {"format", std::string(vault::to_string(format))},
          {"dry_run", dry_run},
          {"credentials", items}};
}

void run_import(Context& ctx, const ImportOptions& o) {
  crypto::SecretBytes text;
  std::string source = o.path;
  vault::ImportFormat format{};
  vault::ImportDefaults defaults;
  vault::validate_type(o.type);
  defaults.type = o.type;
  defaults.prefix = o.prefix;
  std::vector<vault::ImportItem> items;
  const bool is_pass = o.input_format == "pass";
  if (is_pass) {
    format = vault::ImportFormat::pass;
    if (source.empty()) source = default_pass_store();
    items = vault::read_pass_store(source, defaults);
  } else {
    if (source.empty()) {
      fail(ErrorCode::usage, "name the file to import, or - for standard input",
           "a pass store is imported with --input-format pass [DIR]");
    }
    if (source == "-") {
      text = read_all_fd(0, "the import document");
      source = "<stdin>";
    } else {
      text = read_secret_file(source, "the import document");
    }
    format = choose_format(o, &text);
    if (format == vault::ImportFormat::pass) {
      fail(ErrorCode::usage, "--input-format pass reads a directory, not " + source);
    }
    items = format == vault::ImportFormat::json ? vault::parse_json_import(text, source, defaults)
                                                : vault::parse_dotenv(text, source, defaults);
    text = crypto::SecretBytes();  // the values now live in the items only
  }
  if (items.empty()) fail(ErrorCode::usage, source + " holds no credentials");
  vault::validate_import(items);

  // Every entry against the store before anything is written.
  vault::Vault vault(ctx.ns());
  std::vector<Planned> plan;
  std::vector<std::string> existing;
  std::vector<std::string> problems;
  for (auto& item : items) {
    Planned p;
    try {
      const auto newest = vault.latest(item.name);
      p.exists = true;
      p.version = newest.version + 1;
      if (newest.kind == vault::VersionKind::pending) {
        problems.push_back(item.origin + ": " + item.name + " has a rotation in progress");
      } else if (newest.type != item.type) {
        problems.push_back(item.origin + ": " + item.name + " is stored as a " + newest.type +
                           " credential, not " + item.type);
      }
      existing.push_back(item.name);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::not_found) throw;
      p.version = 1;
    }
    p.item = std::move(item);
    plan.push_back(std::move(p));
  }
  if (!existing.empty() && !o.overwrite) {
    std::string names;
    for (std::size_t i = 0; i < existing.size() && i < 10; ++i)
      names += (i == 0 ? "" : ", ") + existing[i];
    if (existing.size() > 10) names += ", …";
    fail(ErrorCode::conflict,
         std::to_string(existing.size()) + " of the credentials in " + source +
             " already exist in namespace " + ctx.namespace_name() + ": " + names,
         "--overwrite gives each a new version (the old ones stay in its history); nothing was "
         "imported");
  }
  if (o.overwrite && !problems.empty()) {
    fail(ErrorCode::conflict,
         problems.front() +
             (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more)" : ""),
         "nothing was imported");
  }
  if (o.dry_run) {
    if (ctx.json()) {
      print_json(plan_json(plan, source, format, true));
      return;
    }
    Table table{{"NAME", "TYPE", "ACTION", "FROM"}, {}};
    for (const auto& p : plan) {
      table.rows.push_back({p.item.name, p.item.type,
                            p.exists ? "new version " + std::to_string(p.version) : "add",
                            p.item.origin});
    }
    table.print();
    print_line(std::to_string(plan.size()) +
               " credential(s) would be imported (dry run: nothing changed)");
    return;
  }

  const auto actor = audit::current_actor().display();
  std::vector<std::string> written;
  std::size_t added = 0;
  ctx.audited("cred.import", source, "", [&](nlohmann::json& details) {
    details["format"] = std::string(vault::to_string(format));
    details["count"] = plan.size();
    nlohmann::json ids = nlohmann::json::array();
    try {
      for (auto& p : plan) {
        auto& item = p.item;
        const auto id = vault.id_of(item.name);
        vault::CredentialVersion result;
        if (p.exists) {
          result = vault.rotate(item.name, std::move(item.secrets), item.fields,
                                item.generation_policy, actor);
        } else {
          vault::CredentialVersion draft;
          draft.name = item.name;
          draft.type = item.type;
          draft.secret_field = item.secret_field;
          draft.fields = item.fields;
          draft.secrets = std::move(item.secrets);
          draft.rotate_every = item.rotate_every;
          draft.generation_policy = item.generation_policy;
          draft.created = util::format_time(util::now());
          draft.actor = actor;
          result = vault.add(std::move(draft));
          ++added;
        }
        p.version = result.version;
        written.push_back(item.name);
        ids.push_back(id);
        ctx.record(p.exists ? "cred.rotate" : "cred.add", item.name, id, "ok", 0,
                   {{"version", result.version}, {"imported", true}});
      }
    } catch (const Error& e) {
      details["ids"] = ids;
      details["written"] = written.size();
      throw Error(e.code(),
                  std::string(e.what()) + "; " + std::to_string(written.size()) + " of " +
                      std::to_string(plan.size()) + " credentials were imported before it",
                  written.empty() ? e.hint()
                                  : "`ward cred list` shows them; run the import "
                                    "again with --overwrite to finish it");
    }
    details["ids"] = ids;
    details["added"] = added;
    details["new_versions"] = written.size() - added;
  });
  if (ctx.json()) {
    print_json(plan_json(plan, source, format, false));
    return;
  }
  print_line("imported " + std::to_string(written.size()) + " credential(s) from " + source + " (" +
             std::to_string(added) + " added, " + std::to_string(written.size() - added) +
             " new versions)");
}

struct ExportOptions {
  std::vector<std::string> names;
  bool reveal = false;
};

void run_export(Context& ctx, const ExportOptions& o) {
  vault::Vault vault(ctx.ns());
  std::vector<vault::ExportEntry> entries;
  std::size_t skipped_revoked = 0;
  ctx.audited("cred.export", "", "", [&](nlohmann::json& details) {
    details["revealed"] = o.reveal;
    std::set<std::string> wanted(o.names.begin(), o.names.end());
    const bool all = wanted.empty();
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& summary : vault.list()) {
      if (!all && wanted.erase(summary.name) == 0) continue;
      if (summary.current_version == 0) {
        ++skipped_revoked;
        continue;
      }
      vault::ExportEntry entry;
      entry.record = vault.read(summary.name);
      if (!o.reveal) entry.record.secrets.clear();
      entry.newest_version = summary.latest_version;
      entry.id = summary.id;
      ids.push_back(summary.id);
      entries.push_back(std::move(entry));
    }
    if (!wanted.empty()) {
      fail(ErrorCode::not_found,
           "no credential '" + *wanted.begin() + "' in namespace " + ctx.namespace_name(),
           "`ward cred list` shows the credentials of a namespace");
    }
    details["count"] = entries.size();
    details["ids"] = ids;
    details["skipped_revoked"] = skipped_revoked;
  });
  vault::ExportHeader header;
  header.namespace_name = ctx.namespace_name();
  header.exported = util::format_time(util::now());
  header.revealed = o.reveal;
  const auto document = vault::write_export(header, entries);
  std::fwrite(document.data(), 1, document.size(), stdout);
  std::fflush(stdout);
  if (skipped_revoked > 0) {
    spdlog::info("{} revoked credential(s) left out (they have no current secret)",
                 skipped_revoked);
  }
}

}  // namespace

void register_cred_io(CLI::App& cred, Context& ctx) {
  auto io = std::make_shared<ImportOptions>();
  auto* import = cred.add_subcommand(
      "import", "Store credentials from a .env file, a JSON document or a pass store");
  import->add_option("PATH", io->path,
                     "File to read (- for stdin), or with --input-format pass the store's "
                     "directory (default $PASSWORD_STORE_DIR or ~/.password-store)");
  import->add_option("--input-format", io->input_format,
                     "env, json or pass (default: json for *.json or a document opening with "
                     "'{', else env)");
  import->add_option("--type", io->type,
                     "Type of credentials from .env lines, flat JSON and pass (default generic)");
  import->add_option("--prefix", io->prefix, "Put this before every imported name (e.g. app/)");
  import->add_flag("--overwrite", io->overwrite,
                   "Give existing credentials a new version instead of refusing");
  import->add_flag("--dry-run", io->dry_run, "Check everything and show what would be stored");
  set_action(import, [&ctx, io] { run_import(ctx, *io); });

  auto eo = std::make_shared<ExportOptions>();
  auto* exporter = cred.add_subcommand(
      "export", "Write credentials as JSON (ward.cred.export/v1); secrets only with --reveal");
  exporter->add_option("NAME", eo->names, "Credentials to export (default: all of the namespace)");
  exporter->add_flag("--reveal", eo->reveal,
                     "Include the secret values (audited: cred.export with revealed=true)");
  set_action(exporter, [&ctx, eo] { run_export(ctx, *eo); });
}

}  // namespace ward::cli
