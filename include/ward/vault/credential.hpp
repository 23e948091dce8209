#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ward/crypto/secret.hpp"

namespace ward::vault {

// The credential types ward knows and the field names each uses (libpq's keywords for
// postgres, and so on); see DESIGN.md "Credentials".
const std::vector<std::string>& credential_types();
void validate_type(std::string_view type);  // throws Error(usage)
// The secret field a type's secret goes into unless --secret-field says otherwise.
std::string default_secret_field(std::string_view type);
// Whether a field name holds secret material (password, private_key, token...).
bool is_secret_field_name(std::string_view field);

enum class VersionKind { active, pending, revocation };
std::string_view to_string(VersionKind kind);

// One immutable version of a credential, as stored (encrypted) at creds/<ns>/<id>/v<N>.
// Every version carries the credential's whole state after it was written (fields, which
// version is current, which are revoked), so reading the newest version answers `list`.
struct CredentialVersion {
  std::string name;
  std::string type;
  std::uint32_t version = 0;
  VersionKind kind = VersionKind::active;
  std::map<std::string, std::string> fields;           // non-secret
  std::map<std::string, crypto::SecretBytes> secrets;  // secret fields
  std::string secret_field;                            // the primary secret
  std::string created;                                 // when this version was written
  std::string credential_created;                      // when version 1 was written
  std::string actor;                                   // who wrote it (user@host)
  std::optional<std::chrono::seconds> rotate_every;    // rotation policy
  std::string generation_policy;                       // spec used by --generate, if any
  std::uint32_t current_version = 0;                   // current after this version; 0 = none
  std::set<std::uint32_t> revoked;                     // every revoked version so far
  std::set<std::uint32_t> purged;                      // revoked versions whose objects are gone
  std::set<std::string> current_secret_names;          // secret fields of the current version
  // Versions that hold no usable secret: revocation markers, and pending versions once
  // resolved (committed into the next version, or discarded).
  std::set<std::uint32_t> markers;
  // Superseded versions still readable for a grace period: version → when it is revoked.
  std::map<std::uint32_t, std::string> revoke_after;
  // A pending version's writer ("host:pid"), so a later run can tell a rotation still in
  // progress from one whose process is gone.
  std::string pending_owner;
};

crypto::SecretBytes encode_credential(const CredentialVersion& version);
// Parses a decrypted record; throws Error(auth) when malformed.
CredentialVersion decode_credential(const crypto::SecretBytes& plaintext);

}  // namespace ward::vault
