#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ward/keyring/keyring.hpp"
#include "ward/vault/credential.hpp"

namespace ward::vault {

struct CredentialSummary {
  std::string name;
  std::string id;
  std::string type;
  std::uint32_t latest_version = 0;
  std::uint32_t current_version = 0;  // 0: revoked, no current secret
  std::string created;                // of the credential
  std::string updated;                // of the newest version
  std::optional<std::chrono::seconds> rotate_every;
  std::vector<std::string> field_names;
  std::vector<std::string> secret_names;
  std::size_t revoked_versions = 0;
};

struct RevokeResult {
  std::uint32_t marker_version = 0;
  std::vector<std::uint32_t> revoked;  // newly revoked
  std::size_t purged_objects = 0;
};

// The credentials of one namespace. Every write is put-if-absent on the next version number,
// so two writers racing end with one new version and an Error(conflict) for the loser.
class Vault {
 public:
  explicit Vault(keyring::Namespace& ns);

  [[nodiscard]] std::string id_of(std::string_view name) const { return m_ns.object_id(name); }

  // Writes version 1. `draft` supplies name, type, fields, secrets, policies.
  CredentialVersion add(CredentialVersion draft);
  // Writes the next version with new secrets (fields may be updated); the previous version
  // stays readable until revoked.
  CredentialVersion rotate(std::string_view name,
                           std::map<std::string, crypto::SecretBytes> secrets,
                           const std::map<std::string, std::string>& field_updates,
                           const std::string& generation_policy, const std::string& actor);
  RevokeResult revoke(std::string_view name, std::optional<std::uint32_t> version, bool purge,
                      const std::string& actor);

  // The pending-version protocol of `cred rotate --apply` (ward-cred(1)).
  // Writes the next version as *pending*: it holds the new secrets (and field updates) while
  // the current version stays current. Put-if-absent on its number decides a race between two
  // rotations before either touches the target. Error(conflict) when a pending version is
  // already open.
  CredentialVersion begin_pending(std::string_view name,
                                  std::map<std::string, crypto::SecretBytes> secrets,
                                  const std::map<std::string, std::string>& field_updates,
                                  const std::string& generation_policy, const std::string& actor,
                                  const std::string& owner);
  // Makes pending version `pending` current: writes the next version with its secrets and
  // fields, the previous current version kept readable until `revoke_previous_at` (a time) when
  // given, then deletes the pending object (its secret now lives in the new version). When the
  // pending version was already committed by another process, returns that commit.
  CredentialVersion commit_pending(std::string_view name, std::uint32_t pending,
                                   const std::string& actor,
                                   const std::optional<std::string>& revoke_previous_at);
  // Abandons pending version `pending` (the target never took its secret): the current
  // version stays current, the pending object is deleted.
  CredentialVersion discard_pending(std::string_view name, std::uint32_t pending,
                                    const std::string& actor);
  // The newest record of the credential stored under `id` (maintenance knows ids only).
  CredentialVersion latest_by_id(const std::string& id);

  // The current version (or `version`), with its secrets. Throws Error(not_found) when the
  // credential or version does not exist or is revoked.
  CredentialVersion read(std::string_view name,
                         std::optional<std::uint32_t> version = std::nullopt);
  // The newest version record (state of the credential), secrets included.
  CredentialVersion latest(std::string_view name);
  // Every version number stored for a credential (purged ones excluded).
  std::vector<std::uint32_t> versions(std::string_view name);
  std::vector<CredentialSummary> list();

 private:
  [[nodiscard]] std::string logical(std::string_view id, std::uint32_t version) const;
  CredentialVersion load(const std::string& id, std::uint32_t version,
                         const std::vector<std::uint32_t>& generations);
  std::map<std::uint32_t, std::vector<std::uint32_t>> stored_versions(const std::string& id);
  void write(const std::string& id, CredentialVersion& version);
  void remove_version_objects(const std::string& id, std::uint32_t version);
  // Error(conflict) when `newest` is a pending version (a rotation in progress or interrupted).
  void refuse_pending(const CredentialVersion& newest) const;

  keyring::Namespace& m_ns;
};

}  // namespace ward::vault
