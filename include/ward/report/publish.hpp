#pragma once

#include <string>

#include "ward/crypto/secret.hpp"

namespace ward::report {

// Where `--out https://…` sends the report, and how it authenticates.
struct Destination {
  std::string url;                   // https:// only: a report is evidence and holds names
  std::string header_name;           // e.g. "Authorization"; empty: no auth header
  crypto::SecretBytes header_value;  // e.g. "Bearer …", from a stored credential
  std::string ca_pem;                // trust only this CA (PEM) instead of the system store
  long timeout_ms = 30000;
};

// POSTs `json` (Content-Type: application/json) over HTTPS with peer and host verification.
// Returns the HTTP status. Throws Error(usage) for a non-HTTPS URL, Error(unreachable) when the
// server cannot be reached or the TLS handshake fails, Error(findings)… never: a non-2xx status
// is Error(unreachable) with the status in the message (the report did not arrive).
long post_json(const Destination& destination, const std::string& json);

}  // namespace ward::report
