#include "context.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "secret_input.hpp"
#include "ward/error.hpp"
#include "ward/rotate/rotation.hpp"
#include "ward/util/duration.hpp"
#include "ward/vault/vault.hpp"

namespace ward::cli {
namespace {

namespace fs = std::filesystem;

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

fs::path xdg_dir(const char* variable, const char* fallback_below_home) {
  const auto value = env_or(variable, "");
  if (!value.empty()) return value;
  return fs::path(env_or("HOME", "/")) / fallback_below_home;
}

keyring::UnlockMaterial passphrase_from(crypto::SecretBytes secret, std::string source) {
  strip_newline(secret);
  if (secret.empty()) fail(ErrorCode::usage, "empty passphrase from " + source);
  keyring::UnlockMaterial material;
  material.kind = keyring::UnlockMaterial::Kind::passphrase;
  material.secret = std::move(secret);
  material.source = std::move(source);
  return material;
}

}  // namespace

void Context::resolve() {
  auto config_path =
      options.config.empty()
          ? env_or("WARD_CONFIG",
                   (xdg_dir("XDG_CONFIG_HOME", ".config") / "ward" / "config.json").string())
          : options.config;
  nlohmann::json config = nlohmann::json::object();
  spdlog::debug("config file {}", config_path);
  if (std::ifstream in(config_path); in) {
    config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!config.is_object())
      fail(ErrorCode::usage, "config file " + config_path + " is not a JSON object");
  } else if (!options.config.empty()) {
    fail(ErrorCode::usage, "cannot read config file " + config_path);
  }
  const auto from_config = [&](std::string& option, const char* key) {
    if (option.empty() && config.contains(key) && config[key].is_string())
      option = config[key].get<std::string>();
  };
  from_config(options.store, "store");
  from_config(options.ns, "ns");
  from_config(options.key_file, "key_file");
  from_config(options.passphrase_file, "passphrase_file");
  from_config(options.ssh_identity, "ssh_identity");
  from_config(options.ssh_known_hosts, "ssh_known_hosts");
  from_config(options.ssh_password_file, "ssh_password_file");
  from_config(options.s3_ca_file, "s3_ca_file");
  from_config(options.s3_credential, "s3_credential");
  if (options.store.empty()) {
    options.store =
        "file://" + (xdg_dir("XDG_DATA_HOME", ".local/share") / "ward" / "store").string();
  }
}

std::string Context::namespace_name() const {
  return options.ns.empty() ? std::string(keyring::k_default_namespace) : options.ns;
}

std::optional<store::sigv4::Credentials> Context::read_stored_s3_credentials() {
  const auto& name = options.s3_credential;
  const auto local_url =
      "file://" + (xdg_dir("XDG_DATA_HOME", ".local/share") / "ward" / "store").string();
  const auto add_hint =
      "store the keys there with `ward cred add " + name +
      " --type api-key --field access_key_id=ID --secret-field secret_access_key --secret-stdin`";
  auto local = store::open_object_store(local_url);
  if (!local->exists() || !local->contains("config")) {
    fail(ErrorCode::not_found,
         "no local ward store at " + local_url + " to read the S3 credential '" + name + "' from",
         add_hint);
  }
  const auto key_file = env_or("WARD_S3_CREDENTIAL_KEY_FILE", "");
  const auto material = key_file.empty() ? unlock_material() : keyring::read_key_file(key_file);
  auto keys = keyring::Keyring::unlock(*local, material);
  keys->load();
  vault::Vault vault(keys->ns(std::string(keyring::k_default_namespace)));
  audit::Log log(*local, keys->audit_key(), keys->config().store_id);
  audit::Event event;
  event.actor = audit::current_actor();
  event.action = "cred.get";
  event.ns = std::string(keyring::k_default_namespace);
  event.target = name;
  event.target_id = vault.id_of(name);
  event.details = {{"use", "s3 store credential"}, {"store", options.store}};
  std::optional<vault::CredentialVersion> record;
  try {
    record = vault.read(name);
  } catch (const Error& e) {
    event.outcome = "error";
    event.code = e.exit_code();
    event.details["error"] = e.what();
    (void)log.append(event);
    if (e.code() == ErrorCode::not_found) {
      fail(ErrorCode::not_found, "no S3 credential '" + name + "' in the local store " + local_url,
           add_hint);
    }
    throw;
  }
  event.outcome = "ok";
  (void)log.append(event);
  const auto id = record->fields.find("access_key_id");
  auto secret = record->secrets.find("secret_access_key");
  if (secret == record->secrets.end()) secret = record->secrets.find(record->secret_field);
  if (id == record->fields.end() || id->second.empty() || secret == record->secrets.end() ||
      secret->second.empty()) {
    fail(ErrorCode::usage,
         "credential '" + name +
             "' does not hold S3 keys: it needs a field access_key_id and a "
             "secret secret_access_key",
         add_hint);
  }
  store::sigv4::Credentials credentials;
  credentials.access_key_id = id->second;
  credentials.secret_access_key = secret->second.clone();
  if (const auto token = record->secrets.find("session_token"); token != record->secrets.end())
    credentials.session_token = std::string(token->second.reveal());
  return credentials;
}

store::StoreOptions Context::store_options(const std::string& url) {
  store::StoreOptions store_options;
  store_options.s3_ca_file = options.s3_ca_file;
  if (!options.s3_credential.empty() && url.starts_with("s3://")) {
    if (!m_s3_credentials) m_s3_credentials = read_stored_s3_credentials();
    store_options.s3_credentials = store::sigv4::Credentials{
        m_s3_credentials->access_key_id, m_s3_credentials->secret_access_key.clone(),
        m_s3_credentials->session_token};
    store_options.s3_credentials_source = "stored credential '" + options.s3_credential + "'";
  }
  store_options.ssh_identity = options.ssh_identity;
  store_options.ssh_known_hosts = options.ssh_known_hosts;
  store_options.ssh_password_file = options.ssh_password_file;
  store_options.accept_new_host_key = options.accept_new_hostkey;
  if (const auto timeout = env_or("WARD_SSH_TIMEOUT", ""); !timeout.empty()) {
    store_options.timeout = util::parse_duration(timeout);
    if (store_options.timeout.count() <= 0) {
      fail(ErrorCode::usage, "WARD_SSH_TIMEOUT must be a positive duration such as 20s");
    }
  }
  return store_options;
}

store::ObjectStore& Context::store() {
  if (!m_store) {
    m_store = store::open_object_store(options.store, store_options(options.store));
    spdlog::debug("store {}", m_store->url());
    for (const auto& warning : m_store->warnings()) spdlog::warn("{}", warning);
  }
  return *m_store;
}

keyring::UnlockMaterial Context::unlock_material() {
  if (!options.key_file.empty()) return keyring::read_key_file(options.key_file);
  if (!options.passphrase_file.empty()) {
    return passphrase_from(read_secret_file(options.passphrase_file, "passphrase"),
                           "passphrase file " + options.passphrase_file);
  }
  if (options.passphrase_fd >= 0) {
    auto passphrase = read_all_fd(options.passphrase_fd, "passphrase");
    ::close(options.passphrase_fd);  // no child (cred exec) inherits it
    return passphrase_from(std::move(passphrase),
                           "passphrase on fd " + std::to_string(options.passphrase_fd));
  }
  if (const char* key = std::getenv("WARD_KEY"); key != nullptr && *key != '\0') {
    return keyring::key_from_base64(key, "WARD_KEY");
  }
  if (::isatty(STDIN_FILENO) == 1) {
    return passphrase_from(prompt_secret("Passphrase for " + options.store + ": ", false),
                           "the passphrase");
  }
  fail(ErrorCode::auth,
       "cannot unlock store " + options.store + ": no key file or passphrase given",
       "use --key-file PATH (or WARD_KEY_FILE), WARD_KEY, --passphrase-file PATH (or "
       "WARD_PASSPHRASE_FILE), or --passphrase-fd N");
}

keyring::UnlockMaterial Context::new_unlock_material(const std::string& key_file,
                                                     const std::string& passphrase_file,
                                                     int passphrase_fd, bool allow_prompt) {
  if (!key_file.empty()) {
    if (fs::exists(key_file)) return keyring::read_key_file(key_file);
    return keyring::create_key_file(key_file);
  }
  if (!passphrase_file.empty()) {
    return passphrase_from(read_secret_file(passphrase_file, "passphrase"),
                           "passphrase file " + passphrase_file);
  }
  if (passphrase_fd >= 0) {
    return passphrase_from(read_all_fd(passphrase_fd, "passphrase"),
                           "passphrase on fd " + std::to_string(passphrase_fd));
  }
  if (allow_prompt && ::isatty(STDIN_FILENO) == 1) {
    return passphrase_from(prompt_secret("New passphrase: ", true), "the passphrase");
  }
  fail(ErrorCode::usage, "no key file or passphrase given",
       "use --key-file PATH (a new key file is created if PATH does not exist), --passphrase-file "
       "PATH or --passphrase-fd N");
}

keyring::Keyring& Context::keyring() {
  if (!m_keyring) {
    if (!store().exists()) {
      fail(ErrorCode::not_found, "no ward store at " + store().url(),
           "create one with `ward init`, or point --store / WARD_STORE at an existing store");
    }
    m_unlock = unlock_material();
    spdlog::debug("unlocking {} with {}", store().url(), m_unlock->source);
    auto unlocked = keyring::Keyring::unlock(store(), *m_unlock);
    m_master_unlocked = true;
    unlocked->load();
    m_keyring = std::move(unlocked);
    // The cheap part of `ward maintenance`, done by every command that opens the store.
    if (const auto removed = store().remove_stale_temporaries(std::chrono::hours(1)); removed > 0) {
      spdlog::debug("removed {} stale temporary file(s)", removed);
    }
    spdlog::debug("store {} unlocked (master key serial {})", m_keyring->config().store_id,
                  m_keyring->master_serial());
  }
  return *m_keyring;
}

keyring::Namespace& Context::ns() {
  auto& ns = keyring().ns(namespace_name());
  if (!m_brief_maintenance_done) {
    m_brief_maintenance_done = true;
    brief_maintenance(ns);
  }
  return ns;
}

void Context::brief_maintenance(keyring::Namespace& ns) {
  try {
    if (!rotate::revocations_due(ns)) return;
    vault::Vault vault(ns);
    rotate::TargetContext target;
    target.lookup = [&vault](const std::string& name) { return vault.read(name); };
    // A few at a time: the command the user ran is waiting; `ward maintenance` does the rest.
    const auto done =
        rotate::run_due_revocations(vault, ns, target, audit::current_actor().display(), 8);
    for (const auto& r : done) {
      if (r.skipped) continue;
      record("cred.revoke", r.name, r.credential_id, r.done ? "ok" : "error", r.done ? 0 : 1,
             {{"version", r.version}, {"reason", "grace period over"}, {"brief", true}});
      if (r.done) {
        spdlog::info("revoked version {} of {}: its grace period is over", r.version, r.name);
      } else {
        spdlog::warn("version {} of {} is due for revocation but was not retired: {}", r.version,
                     r.name, r.error);
      }
    }
  } catch (const Error& e) {
    spdlog::warn("deferred revocations not run: {}", e.what());
  }
}

audit::Spool& Context::audit_spool() {
  if (!m_spool) {
    auto& keys = keyring();
    const auto state_dir = xdg_dir("XDG_STATE_HOME", ".local/state") / "ward";
    m_spool =
        std::make_unique<audit::Spool>(audit::spool_directory(state_dir, keys.config().store_id),
                                       keys.audit_key(), keys.config().store_id);
  }
  return *m_spool;
}

audit::Log& Context::audit_log() {
  if (!m_audit) {
    auto& keys = keyring();
    m_audit = std::make_unique<audit::Log>(store(), keys.audit_key(), keys.config().store_id);
    // Events spooled while the store was unreachable go in first, so the trail stays in the
    // order things happened.
    m_spool_flush = audit_spool().flush(*m_audit);
    if (m_spool_flush.delivered > 0) {
      spdlog::info("delivered {} audit event(s) spooled while the store was unreachable",
                   m_spool_flush.delivered);
    }
    for (const auto& problem : m_spool_flush.problems) spdlog::warn("{}", problem);
  }
  return *m_audit;
}

void Context::record(const std::string& action, const std::string& target,
                     const std::string& target_id, const std::string& outcome, int code,
                     const nlohmann::json& details) {
  audit::Event event;
  event.actor = audit::current_actor();
  event.action = action;
  event.ns = namespace_name();
  event.target = target;
  event.target_id = target_id;
  event.outcome = outcome;
  event.code = code;
  event.details = details;
  try {
    const auto appended = audit_log().append(event);
    spdlog::debug("audit event {} recorded: {} {}", appended.seq, appended.action,
                  appended.outcome);
  } catch (const Error& e) {
    // The action already happened; it must not go unrecorded because the store went away.
    if (e.code() != ErrorCode::unreachable || !m_keyring) throw;
    const auto id = audit_spool().add(std::move(event));
    spdlog::warn(
        "the store is unreachable; audit event {} spooled locally and will be "
        "delivered by the next command that reaches the store",
        id);
  }
}

void Context::audited(const std::string& action, const std::string& target,
                      const std::string& target_id,
                      const std::function<void(nlohmann::json&)>& body) {
  nlohmann::json details = nlohmann::json::object();
  try {
    body(details);
  } catch (const Error& e) {
    // A failure that prevents unlocking cannot be recorded: there is no audit key. Once
    // unlocked, even an unreachable store gets its event (through the spool).
    if (m_keyring) {
      try {
        details["error"] = e.what();
        record(action, target, target_id, "error", e.exit_code(), details);
      } catch (const Error&) {
        // The original error is the one the user needs to see.
      }
    }
    throw;
  }
  record(action, target, target_id, "ok", 0, details);
}

}  // namespace ward::cli
