#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ward/error.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/rotate/driver.hpp"
#include "ward/vault/vault.hpp"

// `ward cred rotate --apply` and `cred revoke --apply`: the pending-version protocol that keeps
// the store and the target in agreement (ward-cred(1), "ROTATION ON THE TARGET").
//
//   1. write a *pending* version holding the new secret (put-if-absent: a concurrent rotation
//      loses here, before it touches the target);
//   2. change the secret on the target through the credential's driver;
//   3. verify that the new secret authenticates over the credential's real path;
//   4. commit: the next version is current; the old one stays readable for the grace period,
//      then `ward maintenance` (or any command's brief maintenance) revokes it and has the
//      driver retire it on the target.
// A failure leaves one of three states, and the result names which: nothing changed (old
// secret current and working, the pending version discarded), the new secret committed (the
// target took it), or — when the outcome cannot be known — the pending version kept, which the
// next run resolves by asking the target which secret it accepts.
namespace ward::rotate {

struct RotateOptions {
  std::string policy;  // generation policy; empty: the credential's own, else "default"
  std::optional<crypto::SecretBytes> secret;  // a supplied secret instead of a generated one
  std::chrono::seconds grace{0};
  std::string actor;
  // A pending version written on another host younger than this is taken as a rotation still
  // in progress (on this host, ward asks whether its process is alive).
  std::chrono::seconds pending_lease{std::chrono::minutes(15)};
  // Serialises store access when several rotations run on threads (--all --parallel N).
  std::mutex* store_mutex = nullptr;
};

enum class State {
  rotated,               // new version current, verified on the target
  resolved,              // a leftover pending version was verified and committed
  committed_unverified,  // the target took the new secret; it is current, but unverified
  unchanged,             // nothing changed on the target; the old secret is still current
  pending,               // outcome unknown: the pending version is kept for the next run
  in_progress,           // another rotation of the credential is under way
};
std::string_view to_string(State state);

struct RotateResult {
  std::string name;
  std::string driver;
  std::string route;
  State state = State::unchanged;
  std::uint32_t previous_version = 0;  // current before the run
  std::uint32_t current_version = 0;   // current after it
  std::uint32_t pending_version = 0;   // the pending version written or found
  bool verified = false;
  std::string resolution;  // what a leftover pending version from an earlier run became
  std::string revoke_at;   // when the superseded version is revoked (empty: not scheduled)
  bool previous_revoked = false;
  std::vector<std::string> warnings;
  // For every state but rotated and resolved: the exit code and the exact message.
  std::optional<Error> error;
  [[nodiscard]] bool ok() const { return state == State::rotated || state == State::resolved; }
};

// One credential, end to end. Never throws for the target's behaviour (see result.error); throws
// ward::Error for problems of the store (unreachable, conflict on a write) and misuse.
RotateResult rotate_on_target(vault::Vault& vault, keyring::Namespace& ns, const std::string& name,
                              const RotateOptions& options, const TargetContext& target);

struct RevokeOnTargetResult {
  std::string driver;
  std::string route;
  vault::RevokeResult store;
};
// `cred revoke NAME --apply`: disables the credential on its target (the driver's disable),
// then marks every version revoked in the store. When the target cannot be changed nothing is
// marked and the error is thrown: a credential is never shown revoked while the target still
// accepts it.
RevokeOnTargetResult revoke_on_target(vault::Vault& vault, const std::string& name, bool purge,
                                      const std::string& actor, const TargetContext& target);

// Grace-period revocations (rotation/<ns-id>/<due>.<credential-id>.<version> objects).
struct Retirement {
  std::string name;
  std::string credential_id;
  std::uint32_t version = 0;
  bool done = false;     // retired on the target and revoked in the store
  bool skipped = false;  // nothing left to do (already revoked, or the commit never happened)
  std::string error;     // why it is left for the next run
};
// Revokes every superseded version of the namespace whose grace period is over: the driver
// retires it on the target, then the store marks it revoked. `limit` bounds the work of the
// brief run every command does. Errors are per entry (left for the next run).
std::vector<Retirement> run_due_revocations(vault::Vault& vault, keyring::Namespace& ns,
                                            const TargetContext& target, const std::string& actor,
                                            std::size_t limit = SIZE_MAX);
// Cheap: whether anything is due (one listing), for the brief maintenance run.
bool revocations_due(keyring::Namespace& ns);

}  // namespace ward::rotate
