// `ward cred rotate` and `ward cred revoke`: in the store only, or with --apply on the target
// through the rotation drivers (src/rotate/), one credential or --all of them.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "commands.hpp"
#include "cred_common.hpp"
#include "output.hpp"
#include "ward/crypto/password.hpp"
#include "ward/error.hpp"
#include "ward/policy/policy.hpp"
#include "ward/rotate/rotation.hpp"
#include "ward/util/duration.hpp"
#include "ward/vault/vault.hpp"

namespace ward::cli {
namespace {

struct RotateCommand {
  WriteOptions write;
  bool apply = false;
  bool all = false;
  std::string grace = "0s";
  std::string timeout = "10s";
  std::string type;
  std::string older_than;
  bool dry_run = false;
  bool due = false;
  int parallel = 4;
};

std::chrono::milliseconds positive_duration(const std::string& text, const char* flag) {
  const auto value = util::parse_duration(text);
  if (value.count() <= 0)
    fail(ErrorCode::usage, std::string(flag) + " must be a positive duration");
  return std::chrono::duration_cast<std::chrono::milliseconds>(value);
}

rotate::TargetContext target_context(vault::Vault& vault, std::mutex* store_mutex,
                                     std::chrono::milliseconds timeout) {
  rotate::TargetContext target;
  target.timeout = timeout;
  target.lookup = [&vault, store_mutex](const std::string& name) {
    if (store_mutex == nullptr) return vault.read(name);
    const std::lock_guard<std::mutex> guard(*store_mutex);
    return vault.read(name);
  };
  return target;
}

nlohmann::json result_json(const rotate::RotateResult& r) {
  nlohmann::json j{{"name", r.name},
                   {"state", rotate::to_string(r.state)},
                   {"ok", r.ok()},
                   {"driver", r.driver},
                   {"route", r.route},
                   {"previous_version", r.previous_version},
                   {"current_version", r.current_version},
                   {"pending_version", r.pending_version},
                   {"verified", r.verified},
                   {"previous_revoked", r.previous_revoked},
                   {"warnings", r.warnings}};
  if (!r.resolution.empty()) j["resolution"] = r.resolution;
  if (!r.revoke_at.empty()) j["revoke_at"] = r.revoke_at;
  if (r.error) {
    j["error"] = {{"code", r.error->exit_code()}, {"message", r.error->what()}};
    if (!r.error->hint().empty()) j["error"]["hint"] = r.error->hint();
  }
  return j;
}

std::string human_summary(const rotate::RotateResult& r) {
  std::string line = "rotated " + r.name + " on " + r.route + ": version " +
                     std::to_string(r.current_version) + " is current and verified";
  if (r.previous_revoked) {
    line += "; version " + std::to_string(r.previous_version) + " is revoked";
  } else if (!r.revoke_at.empty()) {
    line +=
        "; version " + std::to_string(r.previous_version) + " stays readable until " + r.revoke_at;
  }
  return line;
}

// The store-only rotation of a credential: a new version with a new secret, nothing changed
// on any target.
void rotate_in_store(Context& ctx, const RotateCommand& o) {
  vault::Vault vault(ctx.ns());
  vault::CredentialVersion written;
  const auto& w = o.write;
  ctx.audited("cred.rotate", w.name, vault.id_of(w.name), [&](nlohmann::json& details) {
    const auto previous = vault.latest(w.name);
    std::map<std::string, std::string> fields;
    std::map<std::string, crypto::SecretBytes> secrets;
    read_fields(w, fields, secrets);
    std::string policy;
    auto source = w;
    if (count_sources(source.source) == 0 && !previous.generation_policy.empty()) {
      source.source.generate = true;  // a generated credential is rotated the way it was made
      source.source.policy = previous.generation_policy;
    }
    secrets[previous.secret_field] = obtain_secret(source, policy);
    // Secrets not replaced carry over (a private key's passphrase, say).
    for (const auto& [k, v] : previous.secrets) {
      if (!secrets.contains(k)) secrets[k] = v.clone();
    }
    written =
        vault.rotate(w.name, std::move(secrets), fields, policy, audit::current_actor().display());
    details["version"] = written.version;
    details["generated"] = source.source.generate;
  });
  if (ctx.json()) {
    print_json({{"schema", "ward.cred.rotate/v1"},
                {"applied", false},
                {"credential", summary_json(written, vault.id_of(w.name))}});
  } else {
    print_line("rotated " + w.name + ": version " + std::to_string(written.version) +
               " is current (in the store only; nothing changed on a target)");
  }
}

rotate::RotateOptions rotate_options(const RotateCommand& o) {
  rotate::RotateOptions options;
  options.grace = util::parse_duration(o.grace);
  if (options.grace.count() < 0) fail(ErrorCode::usage, "--grace must not be negative");
  options.actor = audit::current_actor().display();
  options.policy = o.write.source.policy;
  return options;
}

void rotate_one_on_target(Context& ctx, const RotateCommand& o) {
  const auto& w = o.write;
  if (!w.fields.empty() || !w.field_files.empty()) {
    fail(ErrorCode::usage, "--field and --field-file cannot be combined with --apply",
         "change fields with a store-only rotation first, then rotate with --apply");
  }
  if (count_sources(w.source) > 1) fail(ErrorCode::usage, "give at most one secret source");
  auto options = rotate_options(o);
  if (count_sources(w.source) == 1 && !w.source.generate) {
    std::string unused;
    options.secret = obtain_secret(w, unused);
  } else if (!w.source.policy.empty()) {
    (void)crypto::GenerationPolicy::parse(w.source.policy);  // usage error before any change
  }
  const auto timeout = positive_duration(o.timeout, "--timeout");
  vault::Vault vault(ctx.ns());
  auto target = target_context(vault, nullptr, timeout);
  rotate::RotateResult result;
  const auto print = [&] {
    if (ctx.json()) {
      auto j = result_json(result);
      j["schema"] = "ward.cred.rotate/v1";
      j["applied"] = true;
      print_json(j);
      return;
    }
    if (!result.resolution.empty()) print_line(w.name + ": " + result.resolution);
    if (result.ok()) print_line(human_summary(result));
    for (const auto& warning : result.warnings) print_line("warning: " + warning);
  };
  ctx.audited("cred.rotate", w.name, vault.id_of(w.name), [&](nlohmann::json& details) {
    result = rotate::rotate_on_target(vault, ctx.ns(), w.name, options, target);
    fill_rotation_details(details, result);
    if (result.error) {
      print();  // the result document on stdout; the error itself on stderr
      throw *result.error;
    }
  });
  print();
}

struct Candidate {
  std::string name;
  std::string type;
  std::string driver;
  std::string route;
  std::string updated;
};

void rotate_all(Context& ctx, const RotateCommand& o) {
  if (!o.write.name.empty()) fail(ErrorCode::usage, "give a NAME or --all, not both");
  if (count_sources(o.write.source) > 0 && !o.write.source.generate) {
    fail(ErrorCode::usage, "--all generates every new secret: no secret source flags",
         "--policy SPEC chooses how they are generated");
  }
  if (!o.write.fields.empty() || !o.write.field_files.empty()) {
    fail(ErrorCode::usage, "--field and --field-file cannot be combined with --all");
  }
  if (o.parallel < 1 || o.parallel > 64) fail(ErrorCode::usage, "--parallel must be 1 to 64");
  if (!o.type.empty()) vault::validate_type(o.type);
  std::optional<std::chrono::seconds> older_than;
  if (!o.older_than.empty()) older_than = util::parse_duration(o.older_than);
  auto options = rotate_options(o);
  if (!o.write.source.policy.empty()) (void)crypto::GenerationPolicy::parse(o.write.source.policy);
  const auto timeout = positive_duration(o.timeout, "--timeout");

  vault::Vault vault(ctx.ns());
  // --due: the policy module's verdict (the same `ward status` and `cred list --due` give).
  std::set<std::string> due_ids;
  if (o.due) {
    policy::Options policy_options;
    policy_options.kinds = {"credential"};
    for (const auto& item :
         policy::evaluate(ctx.keyring(), {ctx.namespace_name()}, policy_options)) {
      if (item.state != policy::State::ok) due_ids.insert(item.subject_id);
    }
  }
  std::vector<Candidate> candidates;
  std::vector<std::pair<std::string, std::string>> skipped;  // name, why
  const auto now = util::now();
  for (const auto& summary : vault.list()) {
    if (!o.type.empty() && summary.type != o.type) continue;
    if (summary.current_version == 0) continue;  // revoked
    if (older_than && now - util::parse_time(summary.updated) < *older_than) continue;
    if (o.due && !due_ids.contains(summary.id)) continue;
    try {
      const auto record = vault.read(summary.name);
      const auto driver = rotate::driver_for(record);
      candidates.push_back(
          {summary.name, summary.type, driver->name(), driver->describe(record), summary.updated});
    } catch (const Error& e) {
      if (e.code() != ErrorCode::usage) throw;
      skipped.emplace_back(summary.name, e.what());
    }
  }

  if (o.dry_run) {
    if (ctx.json()) {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& c : candidates) {
        items.push_back({{"name", c.name},
                         {"type", c.type},
                         {"driver", c.driver},
                         {"route", c.route},
                         {"updated", c.updated}});
      }
      nlohmann::json skipped_json = nlohmann::json::array();
      for (const auto& [name, why] : skipped)
        skipped_json.push_back({{"name", name}, {"reason", why}});
      print_json({{"schema", "ward.cred.rotate.all/v1"},
                  {"dry_run", true},
                  {"namespace", ctx.namespace_name()},
                  {"would_rotate", items},
                  {"skipped", skipped_json}});
      return;
    }
    Table table{{"NAME", "TYPE", "DRIVER", "UPDATED", "TARGET"}, {}};
    for (const auto& c : candidates)
      table.rows.push_back({c.name, c.type, c.driver, c.updated, c.route});
    table.print();
    print_line(
        std::to_string(candidates.size()) +
        " credential(s) would be rotated (dry run: nothing changed)" +
        (skipped.empty() ? "" : "; " + std::to_string(skipped.size()) + " skipped: no driver"));
    return;
  }

  // Rotations run on worker threads; store access is serialised, the targets are not.
  std::mutex store_mutex;
  options.store_mutex = &store_mutex;
  auto target = target_context(vault, &store_mutex, timeout);
  auto& ns = ctx.ns();
  std::vector<rotate::RotateResult> results(candidates.size());
  std::atomic<std::size_t> next{0};
  const auto worker = [&] {
    for (auto i = next.fetch_add(1); i < candidates.size(); i = next.fetch_add(1)) {
      try {
        results[i] = rotate::rotate_on_target(vault, ns, candidates[i].name, options, target);
      } catch (const std::exception& e) {
        const auto* error = dynamic_cast<const Error*>(&e);
        results[i].name = candidates[i].name;
        results[i].driver = candidates[i].driver;
        results[i].route = candidates[i].route;
        results[i].state = error != nullptr && error->code() == ErrorCode::conflict
                               ? rotate::State::in_progress
                               : rotate::State::unchanged;
        results[i].error = error != nullptr ? *error : Error(ErrorCode::internal, e.what());
      }
    }
  };
  std::vector<std::thread> workers;
  const auto threads =
      std::min<std::size_t>(static_cast<std::size_t>(o.parallel), candidates.size());
  for (std::size_t t = 1; t < threads; ++t) workers.emplace_back(worker);
  worker();
  for (auto& thread : workers) thread.join();

  std::size_t failed = 0;
  for (const auto& r : results) {
    nlohmann::json details = nlohmann::json::object();
    fill_rotation_details(details, r);
    details["bulk"] = true;
    if (r.error) details["error"] = r.error->what();
    ctx.record("cred.rotate", r.name, vault.id_of(r.name), r.ok() ? "ok" : "error",
               r.error ? r.error->exit_code() : 0, details);
    if (!r.ok()) ++failed;
  }
  if (ctx.json()) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : results) items.push_back(result_json(r));
    nlohmann::json skipped_json = nlohmann::json::array();
    for (const auto& [name, why] : skipped)
      skipped_json.push_back({{"name", name}, {"reason", why}});
    print_json({{"schema", "ward.cred.rotate.all/v1"},
                {"dry_run", false},
                {"namespace", ctx.namespace_name()},
                {"results", items},
                {"rotated", results.size() - failed},
                {"failed", failed},
                {"skipped", skipped_json}});
  } else {
    Table table{{"NAME", "TYPE", "RESULT", "VERSION", "DETAIL"}, {}};
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      std::string detail =
          r.error ? r.error->what() : (r.resolution.empty() ? r.route : r.resolution);
      table.rows.push_back(
          {r.name, candidates[i].type, std::string(rotate::to_string(r.state)),
           std::to_string(r.previous_version) + " -> " + std::to_string(r.current_version),
           detail});
    }
    table.print();
    print_line(
        std::to_string(results.size() - failed) + " rotated, " + std::to_string(failed) +
        " failed" +
        (skipped.empty() ? "" : ", " + std::to_string(skipped.size()) + " skipped (no driver)"));
  }
  if (failed > 0) {
    fail(ErrorCode::findings,
         std::to_string(failed) + " of " + std::to_string(results.size()) +
             " rotation(s) failed; the others completed",
         "each failure above says which state its credential is in");
  }
}

void register_revoke(CLI::App& cred, Context& ctx) {
  struct RevokeOptions {
    std::string name;
    std::uint32_t version = 0;
    bool purge = false;
    bool apply = false;
    std::string timeout = "10s";
  };
  auto o = std::make_shared<RevokeOptions>();
  auto* revoke = cred.add_subcommand(
      "revoke", "Revoke a credential (or one version); --apply disables it on the target first");
  revoke->add_option("NAME", o->name, "Credential name")->required();
  revoke->add_option("--version", o->version, "Revoke only this version (store only)");
  revoke->add_flag("--purge", o->purge, "Delete the revoked versions' objects too");
  revoke->add_flag(
      "--apply", o->apply,
      "Disable the credential on its target first (PostgreSQL NOLOGIN, SSH key removed)");
  revoke->add_option("--timeout", o->timeout,
                     "With --apply: bound on each connection (default 10s)");
  set_action(revoke, [&ctx, o] {
    vault::Vault vault(ctx.ns());
    vault::RevokeResult result;
    std::string route;
    if (o->apply && o->version != 0) {
      fail(ErrorCode::usage, "--apply revokes the whole credential; --version is store only",
           "a superseded version is retired on the target when its grace period ends");
    }
    const auto timeout = positive_duration(o->timeout, "--timeout");
    ctx.audited("cred.revoke", o->name, vault.id_of(o->name), [&](nlohmann::json& details) {
      details["applied"] = o->apply;
      if (o->apply) {
        auto target = target_context(vault, nullptr, timeout);
        try {
          const auto applied = rotate::revoke_on_target(vault, o->name, o->purge,
                                                        audit::current_actor().display(), target);
          result = applied.store;
          route = applied.route;
          details["driver"] = applied.driver;
        } catch (const Error& e) {
          throw Error(e.code(),
                      std::string(e.what()) +
                          "; nothing was revoked: the store still holds the credential as before",
                      e.hint());
        }
      } else {
        result = vault.revoke(o->name, o->version ? std::optional(o->version) : std::nullopt,
                              o->purge, audit::current_actor().display());
      }
      details["revoked"] = result.revoked;
      details["marker_version"] = result.marker_version;
      details["purged_objects"] = result.purged_objects;
    });
    if (ctx.json()) {
      print_json({{"schema", "ward.cred.revoke/v1"},
                  {"name", o->name},
                  {"applied", o->apply},
                  {"revoked", result.revoked},
                  {"marker_version", result.marker_version},
                  {"purged_objects", result.purged_objects}});
      return;
    }
    std::string versions;
    for (const auto v : result.revoked)
      versions += (versions.empty() ? "" : ",") + std::to_string(v);
    if (result.marker_version == 0) {
      print_line(o->name + " is already revoked; nothing to do");
      return;
    }
    print_line("revoked " + o->name + (versions.empty() ? "" : " (versions " + versions + ")") +
               (o->apply ? "; disabled on " + route : "") +
               (o->purge ? ", purged " + std::to_string(result.purged_objects) + " objects" : ""));
  });
}

}  // namespace

void fill_rotation_details(nlohmann::json& details, const rotate::RotateResult& r) {
  details["applied"] = true;
  details["state"] = rotate::to_string(r.state);
  details["driver"] = r.driver;
  details["previous_version"] = r.previous_version;
  details["version"] = r.current_version;
  details["pending_version"] = r.pending_version;
  details["verified"] = r.verified;
  if (!r.resolution.empty()) details["resolution"] = r.resolution;
  if (!r.revoke_at.empty()) details["revoke_at"] = r.revoke_at;
}

void register_cred_rotate(CLI::App& cred, Context& ctx) {
  auto o = std::make_shared<RotateCommand>();
  auto* rotate = cred.add_subcommand(
      "rotate", "Give a credential a new secret; --apply changes it on the target too");
  rotate->add_option("NAME", o->write.name, "Credential name (or --all)");
  rotate->add_option("--field", o->write.fields, "Non-secret field KEY=VALUE (repeatable)");
  rotate->add_option("--field-file", o->write.field_files,
                     "Field KEY=PATH read from a file (repeatable)");
  rotate->add_flag("--allow-weak", o->write.allow_weak,
                   "Accept a secret that fails the strength policy");
  add_secret_source_options(*rotate, o->write.source);
  rotate->add_flag("--apply", o->apply,
                   "Change the secret on the target (pending version, change, verify, commit)");
  rotate->add_option("--grace", o->grace,
                     "With --apply: keep the old version readable this long (default 0s)");
  rotate->add_option("--timeout", o->timeout,
                     "With --apply: bound on each connection to the target (default 10s)");
  rotate->add_flag("--all", o->all, "Rotate every credential ward can change on its target");
  rotate->add_option("--type", o->type, "With --all: only credentials of this type");
  rotate->add_option("--older-than", o->older_than,
                     "With --all: only credentials whose secret is older than this (e.g. 90d)");
  rotate->add_flag("--due", o->due,
                   "With --all: only credentials past their rotation policy (as `ward status`)");
  rotate->add_flag("--dry-run", o->dry_run,
                   "With --all: list what would be rotated, change nothing");
  rotate->add_option("--parallel", o->parallel, "With --all: rotations at once (default 4)");
  set_action(rotate, [&ctx, o] {
    if (o->all) {
      rotate_all(ctx, *o);
      return;
    }
    if (o->write.name.empty()) {
      fail(ErrorCode::usage, "name the credential to rotate, or give --all");
    }
    if (!o->type.empty() || !o->older_than.empty() || o->dry_run || o->due) {
      fail(ErrorCode::usage, "--type, --older-than, --due and --dry-run go with --all");
    }
    if (!o->apply) {
      if (o->grace != "0s") fail(ErrorCode::usage, "--grace goes with --apply");
      rotate_in_store(ctx, *o);
      return;
    }
    rotate_one_on_target(ctx, *o);
  });
  register_revoke(cred, ctx);
}

}  // namespace ward::cli
