#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ward/audit/log.hpp"
#include "ward/audit/spool.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/store/object_store.hpp"

namespace ward::cli {

// Global options, after precedence: flag > environment (WARD_*) > config file > default.
struct GlobalOptions {
  std::string store;
  std::string ns;
  bool json = false;
  int verbose = 0;
  bool quiet = false;
  std::string log_format = "text";
  std::string config;
  std::string key_file;
  std::string passphrase_file;
  int passphrase_fd = -1;
  // How to reach an SFTP store's server (see ward-store(5)).
  std::string ssh_identity;
  std::string ssh_known_hosts;
  std::string ssh_password_file;
  bool accept_new_hostkey = false;  // `init` only
  // How to reach an S3 store's server: a CA file for its https endpoint, and the name of a
  // credential in the local default store that holds its access keys (see ward-store(5)).
  std::string s3_ca_file;
  std::string s3_credential;
};

// What every command shares: resolved options, the store, the unlocked keyring, the audit log.
// Opened lazily, once per process.
class Context {
 public:
  GlobalOptions options;
  std::vector<std::string> passthrough;  // arguments after the first `--`

  // Applies the config file and defaults to options that neither a flag nor WARD_* set.
  void resolve();
  [[nodiscard]] bool json() const { return options.json; }
  [[nodiscard]] std::string namespace_name() const;

  store::ObjectStore& store();
  // The options a store backend needs to reach its server (SSH credentials, known_hosts, S3
  // CA and keys). With --s3-credential the keys are read, once, from the local default store
  // (an audited cred.get there) when `url` is an s3:// store.
  [[nodiscard]] store::StoreOptions store_options(const std::string& url);
  keyring::Keyring& keyring();
  // Makes a keyring created by `init` the session's, so its first event goes through record().
  void adopt(std::unique_ptr<keyring::Keyring> created) { m_keyring = std::move(created); }
  // Whether the master key was unwrapped (so a later failure means damage, not wrong keys).
  [[nodiscard]] bool master_unlocked() const { return m_master_unlocked; }
  keyring::Namespace& ns();
  audit::Log& audit_log();
  // The local spool for events that could not reach this store (after keyring()).
  audit::Spool& audit_spool();
  // What the flush at audit_log()'s first use delivered (for `audit verify`).
  [[nodiscard]] const audit::Spool::FlushResult& spool_flush() const { return m_spool_flush; }

  // The unlock material named by flags, environment or config; a prompt on a terminal.
  keyring::UnlockMaterial unlock_material();
  // The material that unlocked this session (after keyring()).
  const keyring::UnlockMaterial& session_unlock() const { return *m_unlock; }
  // For `init` and `add-unlock`: a key file path that does not exist yet is created.
  keyring::UnlockMaterial new_unlock_material(const std::string& key_file,
                                              const std::string& passphrase_file, int passphrase_fd,
                                              bool allow_prompt);

  // Runs `body` and appends an audit event with its outcome (ok, or the error's exit code)
  // before the error travels on. `details` is filled by the body: counts, versions — never
  // secret values.
  void audited(const std::string& action, const std::string& target, const std::string& target_id,
               const std::function<void(nlohmann::json& details)>& body);
  void record(const std::string& action, const std::string& target, const std::string& target_id,
              const std::string& outcome, int code, const nlohmann::json& details);

 private:
  std::unique_ptr<store::ObjectStore> m_store;
  std::unique_ptr<keyring::Keyring> m_keyring;
  std::unique_ptr<audit::Log> m_audit;
  std::unique_ptr<audit::Spool> m_spool;
  bool m_brief_maintenance_done = false;
  // The part of `ward maintenance` every command does when it opens a namespace: superseded
  // credential versions whose grace period is over are revoked (and retired on their target).
  void brief_maintenance(keyring::Namespace& ns);
  audit::Spool::FlushResult m_spool_flush;
  std::optional<keyring::UnlockMaterial> m_unlock;
  std::optional<store::sigv4::Credentials> m_s3_credentials;
  std::optional<store::sigv4::Credentials> read_stored_s3_credentials();
  bool m_master_unlocked = false;
};

}  // namespace ward::cli
