#pragma once

#include <mutex>
#include <string>

#include "ward/keyring/keyring.hpp"
#include "ward/rotate/rotation.hpp"
#include "ward/util/duration.hpp"
#include "ward/vault/vault.hpp"

// Grace-period revocations: one small object per superseded version,
// rotation/<ns-id>/<due epoch>.<credential-id>.v<N>, so the brief maintenance of every command
// finds due work with one listing. The object names hold ids only, as the rest of the store.
namespace ward::rotate {

bool schedule_revocation(keyring::Namespace& ns, const std::string& credential_id,
                         std::uint32_t version, util::TimePoint due);

// Retires version `version` of the credential stored under `credential_id` on its target and
// revokes it in the store, then drops its schedule entry. Never throws for the target.
Retirement retire_version(vault::Vault& vault, keyring::Namespace& ns,
                          const std::string& credential_id, std::uint32_t version,
                          const TargetContext& target, const std::string& actor,
                          std::mutex* store_mutex);

}  // namespace ward::rotate
