// `ward cred leaks PATH...|-`: which of the namespace's managed secrets appear in these files,
// where, and with --rotate, a rotation on the target that revokes the leaked version at once.
// Matching is by keyed hash (src/vault/leaks.cpp); this file builds the index from the vault,
// runs the scan, rotates, audits and prints.
#include <map>
#include <set>

#include "commands.hpp"
#include "cred_common.hpp"
#include "output.hpp"
#include "ward/error.hpp"
#include "ward/rotate/rotation.hpp"
#include "ward/vault/leaks.hpp"
#include "ward/vault/vault.hpp"

namespace ward::cli {
namespace {

struct LeaksOptions {
  std::vector<std::string> paths;
  bool rotate = false;
  std::string timeout = "10s";
};

struct IndexStats {
  std::size_t credentials = 0;
  std::size_t versions = 0;
};

// Every readable version's secrets: the current one, and superseded ones still in their grace
// period (they still authenticate). The plaintext goes out of scope as soon as it is hashed.
vault::LeakIndex build_index(vault::Vault& vault, keyring::Namespace& ns, IndexStats& stats) {
  vault::LeakIndex index(ns.derive_key("ward.cred.leaks.v1"));
  for (const auto& summary : vault.list()) {
    if (summary.current_version == 0) continue;
    ++stats.credentials;
    const auto add_version = [&](const vault::CredentialVersion& record, bool current) {
      ++stats.versions;
      for (const auto& [field, value] : record.secrets) {
        index.add({record.name, summary.id, record.version, current, field, {}}, value);
      }
    };
    const auto current = vault.read(summary.name);
    add_version(current, true);
    for (const auto& [version, when] : current.revoke_after) {
      try {
        add_version(vault.read(summary.name, version), false);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::not_found) throw;
      }
    }
  }
  return index;
}

struct RotationOutcome {
  std::string name;
  std::string action;  // "rotated", "revoked", "failed"
  std::uint32_t leaked_version = 0;
  std::uint32_t current_version = 0;
  std::string route;
  std::string error;
  int code = 0;
};

// --rotate: the leaked current version is replaced on its target with a generated secret and
// revoked at once (grace 0); a leaked superseded version is revoked in the store.
std::vector<RotationOutcome> rotate_leaked(Context& ctx, vault::Vault& vault,
                                           const std::vector<vault::LeakSource>& sources,
                                           const std::vector<vault::Leak>& leaks,
                                           std::chrono::milliseconds timeout) {
  std::map<std::string, std::set<std::uint32_t>> superseded;  // name → leaked old versions
  std::set<std::string> current;
  for (const auto& leak : leaks) {
    const auto& s = sources[leak.source];
    if (s.current) {
      current.insert(s.credential);
    } else {
      superseded[s.credential].insert(s.version);
    }
  }
  rotate::TargetContext target;
  target.timeout = timeout;
  target.lookup = [&vault](const std::string& name) { return vault.read(name); };
  rotate::RotateOptions options;
  options.grace = std::chrono::seconds(0);
  options.actor = audit::current_actor().display();
  std::vector<RotationOutcome> out;
  for (const auto& name : current) {
    RotationOutcome outcome;
    outcome.name = name;
    try {
      ctx.audited("cred.rotate", name, vault.id_of(name), [&](nlohmann::json& details) {
        details["leak"] = true;
        const auto result = rotate::rotate_on_target(vault, ctx.ns(), name, options, target);
        fill_rotation_details(details, result);
        outcome.leaked_version = result.previous_version;
        outcome.current_version = result.current_version;
        outcome.route = result.route;
        if (result.error) throw *result.error;
        outcome.action = result.previous_revoked ? "rotated" : "rotated (old version not revoked)";
      });
    } catch (const Error& e) {
      outcome.action = "failed";
      outcome.error = e.what();
      outcome.code = e.exit_code();
    }
    out.push_back(std::move(outcome));
  }
  for (const auto& entry : superseded) {
    const auto& name = entry.first;  // not a structured binding: clang 14 cannot capture one
    for (const auto version : entry.second) {
      RotationOutcome outcome;
      outcome.name = name;
      outcome.leaked_version = version;
      try {
        ctx.audited("cred.revoke", name, vault.id_of(name), [&](nlohmann::json& details) {
          details["leak"] = true;
          details["applied"] = false;
          const auto result = vault.revoke(name, version, false, options.actor);
          details["revoked"] = result.revoked;
          details["marker_version"] = result.marker_version;
        });
        outcome.action = "revoked";
      } catch (const Error& e) {
        if (e.code() == ErrorCode::conflict || e.code() == ErrorCode::not_found) {
          outcome.action = "revoked";  // already revoked (by the rotation above, say)
        } else {
          outcome.action = "failed";
          outcome.error = e.what();
          outcome.code = e.exit_code();
        }
      }
      out.push_back(std::move(outcome));
    }
  }
  return out;
}

void run_leaks(Context& ctx, const LeaksOptions& o) {
  if (o.paths.empty()) fail(ErrorCode::usage, "name the files or directories to scan, or -");
  const auto timeout_value = util::parse_duration(o.timeout);
  if (timeout_value.count() <= 0) fail(ErrorCode::usage, "--timeout must be a positive duration");
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout_value);
  vault::Vault vault(ctx.ns());
  IndexStats index_stats;
  vault::ScanStats scan;
  std::vector<vault::Leak> leaks;
  std::vector<vault::LeakSource> sources;
  std::size_t hashes = 0;
  std::size_t too_short = 0;
  ctx.audited("cred.leaks", "", "", [&](nlohmann::json& details) {
    auto index = build_index(vault, ctx.ns(), index_stats);
    hashes = index.hash_count();
    too_short = index.skipped_short();
    leaks = vault::scan_paths(index, o.paths, scan);
    sources = index.sources();
    details["files"] = scan.files;
    details["bytes"] = scan.bytes;
    details["leaks"] = leaks.size();
    std::set<std::string> ids;
    for (const auto& leak : leaks) ids.insert(sources[leak.source].credential_id);
    details["credential_ids"] = ids;
    details["rotate"] = o.rotate;
  });
  std::vector<RotationOutcome> rotations;
  if (o.rotate && !leaks.empty()) rotations = rotate_leaked(ctx, vault, sources, leaks, timeout);

  std::set<std::string> leaked_names;
  for (const auto& leak : leaks) leaked_names.insert(sources[leak.source].credential);
  std::size_t failed = 0;
  for (const auto& r : rotations) failed += r.action == "failed" ? 1 : 0;
  if (ctx.json()) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& leak : leaks) {
      const auto& s = sources[leak.source];
      items.push_back({{"file", leak.file},
                       {"line", leak.line},
                       {"column", leak.column},
                       {"length", leak.length},
                       {"masked", leak.masked},
                       {"credential", s.credential},
                       {"credential_id", s.credential_id},
                       {"version", s.version},
                       {"current", s.current},
                       {"field", s.field},
                       {"form", s.form}});
    }
    nlohmann::json rotated = nlohmann::json::array();
    for (const auto& r : rotations) {
      nlohmann::json j{{"name", r.name},
                       {"action", r.action},
                       {"leaked_version", r.leaked_version},
                       {"current_version", r.current_version}};
      if (!r.route.empty()) j["route"] = r.route;
      if (!r.error.empty()) j["error"] = {{"code", r.code}, {"message", r.error}};
      rotated.push_back(j);
    }
    print_json({{"schema", "ward.cred.leaks/v1"},
                {"namespace", ctx.namespace_name()},
                {"scanned",
                 {{"files", scan.files},
                  {"bytes", scan.bytes},
                  {"lines", scan.lines},
                  {"candidates", scan.hashed}}},
                {"indexed",
                 {{"credentials", index_stats.credentials},
                  {"versions", index_stats.versions},
                  {"hashes", hashes},
                  {"too_short", too_short}}},
                {"leaks", items},
                {"rotations", rotated}});
  } else {
    if (!leaks.empty()) {
      Table table{{"WHERE", "CREDENTIAL", "VERSION", "FIELD", "AS", "VALUE"}, {}};
      for (const auto& leak : leaks) {
        const auto& s = sources[leak.source];
        table.rows.push_back(
            {leak.file + ":" + std::to_string(leak.line) + ":" + std::to_string(leak.column),
             s.credential, std::to_string(s.version) + (s.current ? " (current)" : " (superseded)"),
             s.field, s.form, leak.masked});
      }
      table.print();
    }
    for (const auto& r : rotations) {
      if (r.action == "failed") {
        print_line(r.name + ": not rotated: " + r.error);
      } else if (r.action == "revoked") {
        print_line(r.name + ": leaked version " + std::to_string(r.leaked_version) +
                   " revoked in the store");
      } else {
        print_line(r.name + ": " + r.action + " on " + r.route + "; leaked version " +
                   std::to_string(r.leaked_version) + " revoked, version " +
                   std::to_string(r.current_version) + " is current");
      }
    }
    print_line(std::to_string(leaks.size()) + " leak(s) of " + std::to_string(leaked_names.size()) +
               " managed credential(s) in " + std::to_string(scan.files) + " file(s), " +
               std::to_string(scan.lines) + " lines");
  }
  if (!leaks.empty()) {
    std::string message = std::to_string(leaked_names.size()) + " managed credential(s) leaked";
    if (o.rotate) {
      message += "; " + std::to_string(rotations.size() - failed) + " rotated or revoked, " +
                 std::to_string(failed) + " failed";
    }
    fail(ErrorCode::findings, message,
         o.rotate ? "remove the leaked values from the files; `ward cred show NAME` shows each "
                    "credential's versions"
                  : "--rotate changes each leaked secret on its target and revokes the leaked "
                    "version; then remove it from the files");
  }
}

}  // namespace

void register_cred_leaks(CLI::App& cred, Context& ctx) {
  auto o = std::make_shared<LeaksOptions>();
  auto* leaks = cred.add_subcommand(
      "leaks", "Find managed secrets in files (keyed hashes, never plaintext); exit 1 on a leak");
  leaks->add_option("PATH", o->paths, "Files or directories to scan (- for standard input)")
      ->required();
  leaks->add_flag("--rotate", o->rotate,
                  "Rotate each leaked secret on its target (--generate --apply) and revoke the "
                  "leaked version at once");
  leaks->add_option("--timeout", o->timeout,
                    "With --rotate: bound on each connection to a target (default 10s)");
  set_action(leaks, [&ctx, o] { run_leaks(ctx, *o); });
}

}  // namespace ward::cli
