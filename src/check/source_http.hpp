#pragma once

#include "ward/check/connect.hpp"
#include "ward/check/probe.hpp"
#include "ward/check/source.hpp"

// `check source` for https and api-key credentials (private to src/check: source.cpp
// dispatches here by type).
namespace ward::check::detail {

// An authenticated GET of the credential's `url` over verified TLS (through its bastion when it
// names one): the CA from its `ca` or `sslrootcert` field, the secret as a Bearer token, as
// Basic auth for an https credential with a `user`, or raw in the header its `header` field
// names. Fills `probe` with facts and findings; never throws for a problem of the target.
void check_http_source(const vault::CredentialVersion& credential, const CredentialLookup& lookup,
                       const SourceCheckOptions& options, Probe& probe);

}  // namespace ward::check::detail
