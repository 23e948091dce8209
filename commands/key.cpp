#include <algorithm>
#include <filesystem>

#include "commands.hpp"
#include "output.hpp"
#include "ward/error.hpp"
#include "ward/policy/policy.hpp"

namespace ward::cli {
namespace {

void key_status(Context& ctx, bool check, const std::string& max_age_text) {
  auto& keys = ctx.keyring();
  auto& ns = ctx.ns();
  const auto max_age =
      max_age_text.empty() ? keys.config().kek_max_age : util::parse_duration(max_age_text);
  const auto versions = ns.kek_versions();
  const auto usage = ns.kek_usage();
  // The overdue verdict is the policy module's, so `status` and reports agree with it.
  policy::Options judged;
  judged.now = util::now();
  judged.kek_max_age = max_age;
  judged.kinds = {"key"};
  const auto items = policy::evaluate(keys, {ns.name()}, judged);
  const auto now = judged.now;
  nlohmann::json kek_json = nlohmann::json::array();
  Table table{{"VERSION", "CREATED", "AGE", "OBJECTS", "STATE"}, {}};
  bool overdue = false;
  for (const auto& v : versions) {
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - v.created);
    const auto objects = usage.contains(v.version) ? usage.at(v.version) : 0;
    std::string state =
        v.current ? "current" : (objects > 0 ? "in use (rewrap pending)" : "unused (retirable)");
    const auto subject = "kek/v" + std::to_string(v.version);
    const bool is_overdue = std::any_of(items.begin(), items.end(), [&](const policy::Item& i) {
      return i.subject_id == subject && i.state == policy::State::overdue;
    });
    if (is_overdue) {
      state += ", rotation overdue";
      overdue = true;
    }
    table.rows.push_back({std::to_string(v.version), util::format_time(v.created),
                          util::format_duration(age), std::to_string(objects), state});
    kek_json.push_back({{"version", v.version},
                        {"created", util::format_time(v.created)},
                        {"age_seconds", age.count()},
                        {"objects", objects},
                        {"current", v.current},
                        {"overdue", is_overdue}});
  }
  const auto entries = keys.unlock_entries();
  if (ctx.json()) {
    nlohmann::json unlock_json = nlohmann::json::array();
    for (const auto& e : entries) {
      unlock_json.push_back(
          {{"id", e.id}, {"kind", e.kind}, {"created", e.created}, {"used_now", e.used_now}});
    }
    print_json({{"schema", "ward.key.status/v1"},
                {"namespace", ns.name()},
                {"max_age_seconds", max_age.count()},
                {"current_version", ns.current_kek_version()},
                {"overdue", overdue},
                {"kek_versions", kek_json},
                {"master_serial", keys.master_serial()},
                {"unlock_entries", unlock_json}});
  } else {
    print_line("namespace " + ns.name() + ": key-encryption keys (rotation policy " +
               util::format_duration(max_age) + ")");
    table.print();
    print_line("");
    Table unlock{{"UNLOCK ENTRY", "KIND", "CREATED", ""}, {}};
    for (const auto& e : entries)
      unlock.rows.push_back({e.id, e.kind, e.created, e.used_now ? "(used now)" : ""});
    unlock.print();
  }
  if (check && overdue) {
    fail(ErrorCode::findings,
         "the current key of namespace '" + ns.name() + "' is older than " +
             util::format_duration(max_age),
         "run `ward key rotate` and `ward key rewrap`");
  }
}

}  // namespace

void register_key(CLI::App& app, Context& ctx) {
  auto* key = app.add_subcommand("key", "Key-encryption keys, master key and unlock entries");
  key->require_subcommand(1);

  auto check = std::make_shared<bool>(false);
  auto max_age = std::make_shared<std::string>();
  auto* status = key->add_subcommand("status", "Show key versions, their ages and unlock entries");
  status->add_flag("--check", *check, "Exit 1 when the current key is past its rotation policy");
  status->add_option("--max-age", *max_age,
                     "Rotation policy to judge against (default: the store's, 90d)");
  set_action(status, [&ctx, check, max_age] { key_status(ctx, *check, *max_age); });

  auto master = std::make_shared<bool>(false);
  auto* rotate =
      key->add_subcommand("rotate", "Add a new key-encryption key version (new writes use it)");
  rotate->add_flag("--master", *master,
                   "Replace the master key itself (after a suspected compromise)");
  set_action(rotate, [&ctx, master] {
    if (*master) {
      std::vector<std::string> removed;
      ctx.audited("key.rotate-master", "", "", [&](nlohmann::json& details) {
        removed = ctx.keyring().rotate_master(ctx.session_unlock());
        details["master_serial"] = ctx.keyring().master_serial();
        details["removed_unlock_entries"] = removed;
      });
      if (ctx.json()) {
        print_json({{"schema", "ward.key.rotate/v1"},
                    {"master", true},
                    {"master_serial", ctx.keyring().master_serial()},
                    {"removed_unlock_entries", removed}});
      } else {
        print_line("replaced the master key (serial " +
                   std::to_string(ctx.keyring().master_serial()) + ")");
        for (const auto& id : removed) {
          print_line("removed unlock entry " + id + ": add it again with `ward key add-unlock`");
        }
      }
      return;
    }
    std::uint32_t version = 0;
    ctx.audited("key.rotate", ctx.namespace_name(), "", [&](nlohmann::json& details) {
      version = ctx.ns().rotate_kek();
      details["version"] = version;
    });
    if (ctx.json()) {
      print_json({{"schema", "ward.key.rotate/v1"},
                  {"namespace", ctx.namespace_name()},
                  {"version", version}});
    } else {
      print_line("namespace " + ctx.namespace_name() + ": key version " + std::to_string(version) +
                 " is current; run `ward key rewrap` to move existing objects to it");
    }
  });

  auto* rewrap =
      key->add_subcommand("rewrap", "Rewrap every object's data key under the current key version");
  set_action(rewrap, [&ctx] {
    keyring::RewrapResult result;
    ctx.audited("key.rewrap", ctx.namespace_name(), "", [&](nlohmann::json& details) {
      result = ctx.ns().rewrap();
      details = {{"version", result.target_version},
                 {"examined", result.examined},
                 {"rewrapped", result.rewrapped}};
    });
    if (ctx.json()) {
      print_json({{"schema", "ward.key.rewrap/v1"},
                  {"namespace", ctx.namespace_name()},
                  {"version", result.target_version},
                  {"examined", result.examined},
                  {"rewrapped", result.rewrapped},
                  {"already_current", result.already_current}});
    } else {
      print_line("rewrapped " + std::to_string(result.rewrapped) + " of " +
                 std::to_string(result.examined) + " objects under key version " +
                 std::to_string(result.target_version));
    }
  });

  auto retire_version = std::make_shared<std::uint32_t>(0);
  auto* retire =
      key->add_subcommand("retire", "Remove an old key version that nothing uses any more");
  retire->add_option("VERSION", *retire_version, "Key version to retire")->required();
  set_action(retire, [&ctx, retire_version] {
    ctx.audited("key.retire", ctx.namespace_name(), "", [&](nlohmann::json& details) {
      details["version"] = *retire_version;
      ctx.ns().retire_kek(*retire_version);
    });
    if (ctx.json()) {
      print_json({{"schema", "ward.key.retire/v1"},
                  {"namespace", ctx.namespace_name()},
                  {"version", *retire_version}});
    } else {
      print_line("retired key version " + std::to_string(*retire_version) + " of namespace " +
                 ctx.namespace_name());
    }
  });

  struct NewUnlock {
    std::string key_file;
    std::string passphrase_file;
    int passphrase_fd = -1;
  };
  auto new_unlock = std::make_shared<NewUnlock>();
  auto* add_unlock = key->add_subcommand("add-unlock", "Add another way to unlock the store");
  add_unlock->add_option("--new-key-file", new_unlock->key_file,
                         "Key file to add (created if it does not exist)");
  add_unlock->add_option("--new-passphrase-file", new_unlock->passphrase_file,
                         "Passphrase to add, read from a file");
  add_unlock->add_option("--new-passphrase-fd", new_unlock->passphrase_fd,
                         "Passphrase to add, read from a descriptor");
  set_action(add_unlock, [&ctx, new_unlock] {
    std::string id;
    ctx.audited("key.add-unlock", "", "", [&](nlohmann::json& details) {
      auto& keys = ctx.keyring();
      const auto material =
          ctx.new_unlock_material(new_unlock->key_file, new_unlock->passphrase_file,
                                  new_unlock->passphrase_fd, /*allow_prompt=*/true);
      id = keys.add_unlock(material);
      details["entry"] = id;
    });
    if (ctx.json()) {
      print_json({{"schema", "ward.key.add-unlock/v1"}, {"id", id}});
    } else {
      print_line("added unlock entry " + id);
    }
  });

  auto remove_id = std::make_shared<std::string>();
  auto* remove_unlock = key->add_subcommand("remove-unlock", "Remove an unlock entry");
  remove_unlock->add_option("ID", *remove_id, "Unlock entry id (see `ward key status`)")
      ->required();
  set_action(remove_unlock, [&ctx, remove_id] {
    ctx.audited("key.remove-unlock", "", "", [&](nlohmann::json& details) {
      details["entry"] = *remove_id;
      ctx.keyring().remove_unlock(*remove_id);
    });
    if (ctx.json()) {
      print_json({{"schema", "ward.key.remove-unlock/v1"}, {"id", *remove_id}});
    } else {
      print_line("removed unlock entry " + *remove_id);
    }
  });
}

}  // namespace ward::cli
