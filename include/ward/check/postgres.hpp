#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "ward/check/connect.hpp"
#include "ward/vault/credential.hpp"

// libpq's connection handle, declared so that callers need not include libpq-fe.h.
struct pg_conn;

namespace ward::check {

// One libpq connection to a `postgres` credential's server over its real path: libpq's own
// keywords from the credential's fields (host, port, user, dbname, sslmode — verify-full by
// default — and sslrootcert, materialised from the credential into a private temp file for
// the handshake only), through its `bastion` when it names one. Shared by `check source` and
// the PostgreSQL rotation driver so both reach the server the same way.
class PgConnection {
 public:
  enum class Failure { none, auth, tls, no_tls, unreachable };

  PgConnection(PgConnection&&) noexcept;
  PgConnection& operator=(PgConnection&&) noexcept;
  ~PgConnection();

  // Never throws for the server's answer (see failure()); throws ward::Error when the
  // credential is misconfigured (usage) or its bastion cannot be reached or logged into.
  static PgConnection open(const vault::CredentialVersion& credential,
                           const CredentialLookup& lookup, std::chrono::milliseconds timeout,
                           const std::string& application_name);

  [[nodiscard]] bool ok() const { return m_failure == Failure::none; }
  [[nodiscard]] Failure failure() const { return m_failure; }
  // libpq's message, first line, without its "connection to server … failed:" preamble.
  [[nodiscard]] const std::string& error() const { return m_error; }
  [[nodiscard]] pg_conn* native() const { return m_conn; }
  [[nodiscard]] const std::string& via() const { return m_route.via; }
  [[nodiscard]] const std::string& endpoint() const { return m_endpoint; }
  [[nodiscard]] const std::string& sslmode() const { return m_sslmode; }
  // The current error message of the connection (after a failed statement), first line.
  [[nodiscard]] std::string last_error() const;
  // Whether the connection is still usable (false after the server went away).
  [[nodiscard]] bool alive() const;

 private:
  PgConnection() = default;
  pg_conn* m_conn = nullptr;
  Route m_route;
  Failure m_failure = Failure::none;
  std::string m_error;
  std::string m_endpoint;
  std::string m_sslmode;
};

}  // namespace ward::check
