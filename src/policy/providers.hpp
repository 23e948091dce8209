#pragma once

#include <vector>

#include "ward/policy/policy.hpp"

// One function per provider, each defined in its own file and listed in registry.cpp.
namespace ward::policy::providers {

// Credentials against their `rotate_every` (or Options::default_rotate_every), counted from
// the newest version; revoked credentials have nothing to rotate.
std::vector<Item> credentials(const Scope& scope);
// The current KEK version against the store's `kek_max_age` (or Options::kek_max_age).
std::vector<Item> keys(const Scope& scope);
// Certificates seen by the latest stored check of each target (`checks/`), due at notAfter.
std::vector<Item> certificates(const Scope& scope);
// Backup sources (`backup source list`): a scheduled source whose latest snapshot is older
// than its expect_every is overdue; a latest snapshot no verify has covered is due.
std::vector<Item> backups(const Scope& scope);
// Redaction jobs with an `expect_every` against their last run record (`redact/`).
std::vector<Item> redaction(const Scope& scope);

}  // namespace ward::policy::providers
