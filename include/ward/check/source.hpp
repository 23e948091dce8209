#pragma once

#include <chrono>

#include "ward/check/connect.hpp"
#include "ward/check/probe.hpp"
#include "ward/vault/credential.hpp"

namespace ward::check {

struct SourceCheckOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

// Whether `check source` / `check all` know how to check a credential of this type.
bool checkable_type(const std::string& type);

// `ward check source NAME`: the stored credential end to end over its real path (through its
// bastion when it names one): transport verification, authentication with its secret, and a
// trivial request (`SELECT 1` for postgres; login for ssh; an authenticated GET for https and
// api-key). Never throws for a problem of the target: that is a finding or status error.
Probe check_source(const vault::CredentialVersion& credential, const CredentialLookup& lookup,
                   const SourceCheckOptions& options = {});

}  // namespace ward::check
