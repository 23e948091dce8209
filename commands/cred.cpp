#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "commands.hpp"
#include "cred_common.hpp"
#include "output.hpp"
#include "secret_input.hpp"
#include "ward/crypto/password.hpp"
#include "ward/error.hpp"
#include "ward/policy/policy.hpp"
#include "ward/vault/vault.hpp"

extern char** environ;  // NOLINT: POSIX

namespace ward::cli {

std::pair<std::string, std::string> split_assignment(const std::string& text, const char* flag) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    fail(ErrorCode::usage,
         std::string(flag) + " expects KEY=VALUE, got '" + text.substr(0, text.find('=')) + "'");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

// Fills the primary secret from the chosen source, checking user-supplied ones against the
// strength policy.
crypto::SecretBytes obtain_secret(const WriteOptions& options, std::string& policy_used) {
  if (count_sources(options.source) != 1) {
    fail(ErrorCode::usage, "give exactly one secret source",
         "one of --secret-stdin, --secret-file F, --secret-env VAR, --prompt, --generate [--policy "
         "SPEC]");
  }
  if (options.source.generate) {
    const auto policy = crypto::GenerationPolicy::parse(
        options.source.policy.empty() ? "default" : options.source.policy);
    policy_used = policy.describe();
    return crypto::generate_secret(policy);
  }
  if (!options.source.policy.empty())
    fail(ErrorCode::usage, "--policy only applies with --generate");
  auto secret = read_secret(options.source, "the secret");
  if (!options.allow_weak) {
    const auto report = crypto::assess_strength(secret);
    if (!report.acceptable) {
      std::string reasons;
      for (const auto& problem : report.problems)
        reasons += (reasons.empty() ? "" : "; ") + problem;
      fail(ErrorCode::findings, "the secret does not meet the strength policy: " + reasons,
           "use --generate, or --allow-weak if the target dictates this secret");
    }
  }
  return secret;
}

void read_fields(const WriteOptions& options, std::map<std::string, std::string>& fields,
                 std::map<std::string, crypto::SecretBytes>& secrets) {
  for (const auto& text : options.fields) {
    auto [key, value] = split_assignment(text, "--field");
    if (vault::is_secret_field_name(key)) {
      fail(ErrorCode::usage,
           "field '" + key + "' holds a secret and cannot be given on the command line",
           "use --field-file " + key + "=PATH, or a secret source flag with --secret-field " + key);
    }
    fields[key] = value;
  }
  for (const auto& text : options.field_files) {
    auto [key, path] = split_assignment(text, "--field-file");
    auto content = read_secret_file(path, "field " + key);
    if (vault::is_secret_field_name(key)) {
      secrets[key] = std::move(content);
    } else {
      fields[key] = std::string(content.reveal());
    }
  }
}

void add_write_options(CLI::App& command, WriteOptions& options, bool is_add) {
  command.add_option("NAME", options.name, "Credential name (a '/' is just a character)")
      ->required();
  if (is_add) {
    command.add_option("--type", options.type, "postgres, mysql, ssh, https, api-key or generic")
        ->required();
    command.add_option("--secret-field", options.secret_field,
                       "Field the secret goes into (default per type)");
    command.add_option("--rotate-every", options.rotate_every, "Rotation policy, e.g. 90d");
  }
  command.add_option("--field", options.fields, "Non-secret field KEY=VALUE (repeatable)");
  command.add_option("--field-file", options.field_files,
                     "Field KEY=PATH read from a file (repeatable)");
  command.add_flag("--allow-weak", options.allow_weak,
                   "Accept a secret that fails the strength policy");
  add_secret_source_options(command, options.source);
}

nlohmann::json summary_json(const vault::CredentialVersion& v, const std::string& id) {
  nlohmann::json j{{"name", v.name},
                   {"id", id},
                   {"type", v.type},
                   {"version", v.version},
                   {"current_version", v.current_version},
                   {"created", v.credential_created},
                   {"updated", v.created},
                   {"fields", v.fields},
                   {"revoked_versions", v.revoked},
                   {"purged_versions", v.purged}};
  j["secret_fields"] = v.current_secret_names;
  if (v.rotate_every) j["rotate_every"] = util::format_duration(*v.rotate_every);
  return j;
}

namespace {

// Rotation verdicts of the namespace's credentials, by credential id, from the one policy
// module (`ward status` judges the same way).
std::map<std::string, policy::Item> rotation_verdicts(Context& ctx, std::chrono::seconds window) {
  policy::Options options;
  options.window = window;
  options.kinds = {"credential"};
  std::map<std::string, policy::Item> out;
  for (auto& item : policy::evaluate(ctx.keyring(), {ctx.namespace_name()}, options)) {
    auto id = item.subject_id;
    out.emplace(std::move(id), std::move(item));
  }
  return out;
}

std::string due_state(const std::map<std::string, policy::Item>& verdicts, const std::string& id,
                      std::uint32_t current) {
  if (current == 0) return "revoked";
  const auto found = verdicts.find(id);
  return found == verdicts.end() ? "ok" : std::string(policy::to_string(found->second.state));
}

// Environment variables a credential's type feeds by default (the names its client reads).
std::vector<std::pair<std::string, std::string>> default_env(const vault::CredentialVersion& v) {
  if (v.type == "postgres") {
    return {{"PGHOST", "host"},       {"PGPORT", "port"},       {"PGUSER", "user"},
            {"PGDATABASE", "dbname"}, {"PGSSLMODE", "sslmode"}, {"PGPASSWORD", "password"}};
  }
  if (v.type == "mysql") {
    return {{"MYSQL_HOST", "host"}, {"MYSQL_TCP_PORT", "port"}, {"MYSQL_PWD", "password"}};
  }
  return {{"WARD_SECRET", v.secret_field}};
}

[[noreturn]] void exec_with_credential(const vault::CredentialVersion& v,
                                       const std::vector<std::string>& mappings,
                                       const std::vector<std::string>& command) {
  auto pairs = default_env(v);
  for (const auto& text : mappings) {
    auto [var, field] = split_assignment(text, "--env");
    // An init-capture, not [&]: clang before 16 cannot capture a structured binding.
    std::erase_if(pairs, [&name = var](const auto& p) { return p.first == name; });
    if (!v.fields.contains(field) && !v.secrets.contains(field)) {
      fail(ErrorCode::usage, "credential '" + v.name + "' has no field '" + field + "'");
    }
    pairs.emplace_back(var, field);
  }
  // The child's environment is built in secret memory; execvpe replaces this process, so no
  // copy outlives the exec except the child's own environment.
  std::vector<crypto::SecretBytes> entries;
  for (const auto& [var, field] : pairs) {
    crypto::SecretBytes entry = crypto::SecretBytes::from(var + "=");
    if (auto secret = v.secrets.find(field); secret != v.secrets.end()) {
      entry.append(secret->second.bytes());
    } else if (auto plain = v.fields.find(field); plain != v.fields.end()) {
      entry.append(plain->second);
    } else {
      continue;
    }
    entry.append(std::string_view("\0", 1));
    entries.push_back(std::move(entry));
  }
  std::vector<char*> envp;
  // The child gets the credential, never the means to unlock the whole store.
  static constexpr std::array<std::string_view, 3> k_unlock_variables = {
      "WARD_KEY=", "WARD_KEY_FILE=", "WARD_PASSPHRASE_FILE="};
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view existing(*e);
    if (std::any_of(k_unlock_variables.begin(), k_unlock_variables.end(),
                    [&](std::string_view prefix) { return existing.starts_with(prefix); })) {
      continue;
    }
    const bool overridden = std::any_of(pairs.begin(), pairs.end(), [&](const auto& p) {
      return existing.starts_with(p.first + "=");
    });
    if (!overridden) envp.push_back(*e);
  }
  for (auto& entry : entries) envp.push_back(reinterpret_cast<char*>(entry.data()));
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  ::execvpe(argv[0], argv.data(), envp.data());
  const int saved = errno;
  fail(saved == ENOENT ? ErrorCode::not_found : ErrorCode::usage,
       "cannot run '" + command.front() + "': " + std::strerror(saved));
}

}  // namespace

void register_cred(CLI::App& app, Context& ctx) {
  auto* cred = app.add_subcommand("cred", "Credentials: add, read, rotate, revoke, inject");
  cred->require_subcommand(1);

  // add
  auto add_options = std::make_shared<WriteOptions>();
  auto* add = cred->add_subcommand("add", "Store a new credential");
  add_write_options(*add, *add_options, /*is_add=*/true);
  set_action(add, [&ctx, add_options] {
    const auto& o = *add_options;
    vault::validate_type(o.type);
    vault::CredentialVersion draft;
    draft.name = o.name;
    draft.type = o.type;
    draft.secret_field =
        o.secret_field.empty() ? vault::default_secret_field(o.type) : o.secret_field;
    read_fields(o, draft.fields, draft.secrets);
    if (!o.rotate_every.empty()) draft.rotate_every = util::parse_duration(o.rotate_every);
    draft.secrets[draft.secret_field] = obtain_secret(o, draft.generation_policy);
    draft.created = util::format_time(util::now());
    draft.actor = audit::current_actor().display();
    vault::Vault vault(ctx.ns());
    vault::CredentialVersion written;
    ctx.audited("cred.add", o.name, vault.id_of(o.name), [&](nlohmann::json& details) {
      written = vault.add(std::move(draft));
      details["version"] = written.version;
      details["type"] = written.type;
      details["generated"] = o.source.generate;
    });
    if (ctx.json()) {
      print_json({{"schema", "ward.cred.add/v1"},
                  {"credential", summary_json(written, vault.id_of(o.name))}});
    } else {
      print_line("added " + o.name + " (" + written.type + ", version 1)");
    }
  });

  // get
  struct GetOptions {
    std::string name;
    std::string field;
    std::uint32_t version = 0;
  };
  auto get_options = std::make_shared<GetOptions>();
  auto* get = cred->add_subcommand("get", "Print a credential's secret (or one field) on stdout");
  get->add_option("NAME", get_options->name, "Credential name")->required();
  get->add_option("--field", get_options->field, "Field to print (default: the secret)");
  get->add_option("--version", get_options->version, "Version to read (default: current)");
  set_action(get, [&ctx, get_options] {
    vault::Vault vault(ctx.ns());
    vault::CredentialVersion record;
    std::string field;
    ctx.audited("cred.get", get_options->name, vault.id_of(get_options->name),
                [&](nlohmann::json& details) {
                  record = vault.read(get_options->name, get_options->version
                                                             ? std::optional(get_options->version)
                                                             : std::nullopt);
                  field = get_options->field.empty() ? record.secret_field : get_options->field;
                  details["version"] = record.version;
                  details["field"] = field;
                  if (!record.secrets.contains(field) && !record.fields.contains(field)) {
                    fail(ErrorCode::not_found,
                         "credential '" + get_options->name + "' has no field '" + field + "'");
                  }
                });
    crypto::SecretBytes value;
    if (auto secret = record.secrets.find(field); secret != record.secrets.end()) {
      value = secret->second.clone();
    } else {
      value = crypto::SecretBytes::from(record.fields.at(field));
    }
    if (ctx.json()) {
      // The one place a JSON document carries a secret: the user asked for it.
      print_json({{"schema", "ward.cred.get/v1"},
                  {"name", record.name},
                  {"version", record.version},
                  {"field", field},
                  {"value", std::string(value.reveal())}});
    } else {
      std::fwrite(value.data(), 1, value.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
  });

  // show
  auto show_options = std::make_shared<GetOptions>();
  auto* show =
      cred->add_subcommand("show", "Show a credential's fields and versions (never the secret)");
  show->add_option("NAME", show_options->name, "Credential name")->required();
  show->add_option("--version", show_options->version, "Version to show (default: newest)");
  set_action(show, [&ctx, show_options] {
    vault::Vault vault(ctx.ns());
    vault::CredentialVersion record;
    std::vector<std::uint32_t> versions;
    const auto id = vault.id_of(show_options->name);
    ctx.audited("cred.show", show_options->name, id, [&](nlohmann::json& details) {
      record = show_options->version ? vault.read(show_options->name, show_options->version)
                                     : vault.latest(show_options->name);
      versions = vault.versions(show_options->name);
      details["version"] = record.version;
    });
    auto j = summary_json(record, id);
    j["versions"] = versions;
    j["due"] =
        due_state(rotation_verdicts(ctx, std::chrono::seconds(0)), id, record.current_version);
    if (ctx.json()) {
      print_json({{"schema", "ward.cred.show/v1"}, {"credential", j}});
      return;
    }
    Table table{{"FIELD", "VALUE"}, {}};
    table.rows.push_back({"name", record.name});
    table.rows.push_back({"id", id});
    table.rows.push_back({"type", record.type});
    table.rows.push_back({"current version", record.current_version
                                                 ? std::to_string(record.current_version)
                                                 : "none (revoked)"});
    table.rows.push_back({"newest version", std::to_string(record.version) + " (" +
                                                std::string(vault::to_string(record.kind)) + ")"});
    table.rows.push_back({"created", record.credential_created});
    table.rows.push_back({"updated", record.created + " by " + record.actor});
    table.rows.push_back(
        {"rotate every", record.rotate_every ? util::format_duration(*record.rotate_every) : "-"});
    table.rows.push_back({"rotation", j["due"].get<std::string>()});
    for (const auto& [k, v] : record.fields)
      table.rows.push_back({k, v.size() > 60 ? "(" + std::to_string(v.size()) + " bytes)" : v});
    for (const auto& k : record.current_secret_names) {
      const auto held = record.secrets.find(k);
      table.rows.push_back(
          {k, held == record.secrets.end()
                  ? "(secret of version " + std::to_string(record.current_version) + ")"
                  : "(secret, " + std::to_string(held->second.size()) + " bytes)"});
    }
    std::string revoked;
    for (const auto v : record.revoked) revoked += (revoked.empty() ? "" : ",") + std::to_string(v);
    table.rows.push_back({"revoked versions", revoked.empty() ? "-" : revoked});
    table.print();
  });

  // list
  struct ListOptions {
    bool due = false;
    std::string within = "0s";
  };
  auto list_options = std::make_shared<ListOptions>();
  auto* list = cred->add_subcommand("list", "List the credentials of a namespace");
  list->add_flag("--due", list_options->due,
                 "Only credentials past their rotation policy (or due within --within)");
  list->add_option("--within", list_options->within,
                   "With --due: also those due within this window (default 0s)");
  set_action(list, [&ctx, list_options] {
    const auto window = util::parse_duration(list_options->within);
    if (window.count() < 0) fail(ErrorCode::usage, "--within must not be negative");
    if (!list_options->due && list_options->within != "0s")
      fail(ErrorCode::usage, "--within goes with --due");
    vault::Vault vault(ctx.ns());
    std::vector<vault::CredentialSummary> items;
    std::map<std::string, policy::Item> verdicts;
    ctx.audited("cred.list", "", "", [&](nlohmann::json& details) {
      items = vault.list();
      verdicts = rotation_verdicts(ctx, window);
      if (list_options->due) {
        std::erase_if(items, [&](const vault::CredentialSummary& s) {
          const auto state = due_state(verdicts, s.id, s.current_version);
          return state != "due" && state != "overdue";
        });
        details["due"] = true;
      }
      details["count"] = items.size();
    });
    if (ctx.json()) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : items) {
        nlohmann::json j{{"name", s.name},
                         {"id", s.id},
                         {"type", s.type},
                         {"current_version", s.current_version},
                         {"latest_version", s.latest_version},
                         {"created", s.created},
                         {"updated", s.updated},
                         {"fields", s.field_names},
                         {"secret_fields", s.secret_names},
                         {"revoked_versions", s.revoked_versions},
                         {"due", due_state(verdicts, s.id, s.current_version)}};
        if (const auto v = verdicts.find(s.id); v != verdicts.end() && v->second.due_at)
          j["due_at"] = util::format_time(*v->second.due_at);
        if (s.rotate_every) j["rotate_every"] = util::format_duration(*s.rotate_every);
        out.push_back(j);
      }
      print_json({{"schema", "ward.cred.list/v1"},
                  {"namespace", ctx.namespace_name()},
                  {"credentials", out}});
      return;
    }
    Table table{{"NAME", "TYPE", "VERSION", "UPDATED", "ROTATE", "STATE"}, {}};
    for (const auto& s : items) {
      table.rows.push_back({s.name, s.type,
                            s.current_version ? std::to_string(s.current_version) : "-", s.updated,
                            s.rotate_every ? util::format_duration(*s.rotate_every) : "-",
                            due_state(verdicts, s.id, s.current_version)});
    }
    table.print();
  });

  register_cred_rotate(*cred, ctx);
  register_cred_io(*cred, ctx);
  register_cred_leaks(*cred, ctx);

  // exec
  struct ExecOptions {
    std::string name;
    std::vector<std::string> env;
    std::vector<std::string> command;
  };
  auto exec_options = std::make_shared<ExecOptions>();
  auto* exec =
      cred->add_subcommand("exec", "Run a command with the credential in its environment only");
  exec->add_option("NAME", exec_options->name, "Credential name")->required();
  exec->add_option("--env", exec_options->env,
                   "Map VAR=FIELD into the child's environment (repeatable)");
  exec->footer(
      "The command and its arguments follow `--`: ward cred exec db/prod -- psql -c 'select 1'");
  set_action(exec, [&ctx, exec_options] {
    auto& o = *exec_options;
    o.command = ctx.passthrough;
    if (o.command.empty())
      fail(ErrorCode::usage, "no command to run",
           "put it after --: ward cred exec NAME -- CMD [ARG...]");
    vault::Vault vault(ctx.ns());
    vault::CredentialVersion record;
    ctx.audited("cred.exec", o.name, vault.id_of(o.name), [&](nlohmann::json& details) {
      record = vault.read(o.name);
      details["version"] = record.version;
      details["program"] = o.command.front();
    });
    exec_with_credential(record, o.env, o.command);
  });

  // generate
  auto generate_policy = std::make_shared<std::string>("default");
  auto* generate =
      cred->add_subcommand("generate", "Print a newly generated secret (nothing is stored)");
  generate->add_option("--policy", *generate_policy,
                       "length=32,classes=ulds,exclude=… or default|alnum|hex|pin");
  set_action(generate, [&ctx, generate_policy] {
    const auto policy = crypto::GenerationPolicy::parse(*generate_policy);
    const auto secret = crypto::generate_secret(policy);
    if (ctx.json()) {
      print_json({{"schema", "ward.cred.generate/v1"},
                  {"policy", policy.describe()},
                  {"entropy_bits", policy.entropy_bits()},
                  {"value", std::string(secret.reveal())}});
    } else {
      std::fwrite(secret.data(), 1, secret.size(), stdout);
      std::fputc('\n', stdout);
    }
  });
}

}  // namespace ward::cli
