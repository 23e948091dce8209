// PostgreSQL: `ALTER ROLE … PASSWORD` through libpq over the credential's own path (TLS as its
// sslmode says, through its bastion). The new password goes to the server as a SCRAM-SHA-256
// verifier computed on this side (PQencryptPasswordConn), so the plaintext never reaches the
// server, its statement log or pg_stat_activity.
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include <cstring>
#include <memory>
#include <optional>

#include "ward/check/postgres.hpp"
#include "ward/crypto/password.hpp"
#include "ward/error.hpp"
#include "ward/rotate/driver.hpp"

namespace ward::rotate {
namespace {

using check::PgConnection;

struct PqFree {
  void operator()(char* p) const {
    if (p != nullptr) {
      OPENSSL_cleanse(p, std::strlen(p));
      PQfreemem(p);
    }
  }
};
using PqString = std::unique_ptr<char, PqFree>;
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};

ErrorCode code_of(PgConnection::Failure failure) {
  return failure == PgConnection::Failure::unreachable ? ErrorCode::unreachable : ErrorCode::auth;
}

std::string role_of(const vault::CredentialVersion& credential) {
  const auto user = check::field_or(credential, "user");
  if (user.empty()) {
    fail(ErrorCode::usage, "postgres credential '" + credential.name + "' has no user field");
  }
  return user;
}

// The connection that makes changes: the credential's `admin` (another postgres credential,
// for a role that cannot change itself) or the credential itself with its current password.
PgConnection connect_for_change(const vault::CredentialVersion& current,
                                const TargetContext& target, std::string& as) {
  const auto admin = check::field_or(current, "admin");
  if (admin.empty()) {
    as = "role " + role_of(current);
    return PgConnection::open(current, target.lookup, target.timeout, "ward-rotate");
  }
  as = "admin credential '" + admin + "'";
  const auto admin_credential = target.lookup(admin);
  if (admin_credential.type != "postgres") {
    fail(ErrorCode::usage, "the admin credential '" + admin + "' of '" + current.name +
                               "' is of type " + admin_credential.type + ", not postgres");
  }
  return PgConnection::open(admin_credential, target.lookup, target.timeout, "ward-rotate");
}

// Runs one statement; ChangeError(sent=false) when the server refuses it, (sent=true) when
// the connection went away with it.
void run_statement(PgConnection& connection, const std::string& sql, const std::string& what) {
  const std::unique_ptr<PGresult, PgResultDeleter> result(PQexec(connection.native(), sql.c_str()));
  const auto status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
  if (!connection.alive()) {
    throw ChangeError(Error(ErrorCode::unreachable, "the connection to " + connection.endpoint() +
                                                        " was lost during " + what + ": " +
                                                        connection.last_error()),
                      true);
  }
  throw ChangeError(
      Error(ErrorCode::auth, "PostgreSQL refused " + what + ": " + connection.last_error()), false);
}

class PostgresDriver final : public Driver {
 public:
  [[nodiscard]] std::string name() const override { return "postgres"; }

  [[nodiscard]] std::string describe(const vault::CredentialVersion& credential) const override {
    const auto bastion = check::field_or(credential, "bastion");
    return "PostgreSQL " + check::field_or(credential, "host") + ":" +
           check::field_or(credential, "port", "5432") +
           " (sslmode=" + check::field_or(credential, "sslmode", "verify-full") + ")" +
           (bastion.empty() ? "" : " through bastion '" + bastion + "'");
  }

  NewSecret generate(const vault::CredentialVersion& /*current*/,
                     const std::string& policy) override {
    NewSecret next;
    next.secrets["password"] = crypto::generate_secret(crypto::GenerationPolicy::parse(policy));
    return next;
  }

  void change(const vault::CredentialVersion& current, const vault::CredentialVersion& next,
              const TargetContext& target) override {
    const auto role = role_of(current);
    const auto password = next.secrets.find("password");
    if (password == next.secrets.end()) {
      fail(ErrorCode::internal, "the new version of '" + current.name + "' has no password");
    }
    std::string as;
    std::optional<PgConnection> connection;
    try {
      connection.emplace(connect_for_change(current, target, as));
    } catch (const Error& e) {
      throw ChangeError(e, false);
    }
    if (!connection->ok()) {
      throw ChangeError(
          Error(code_of(connection->failure()), "cannot log in to " + connection->endpoint() +
                                                    " as " + as + ": " + connection->error()),
          false);
    }
    auto plain = password->second.clone();
    plain.append(std::string_view("\0", 1));
    const PqString verifier(PQencryptPasswordConn(connection->native(),
                                                  reinterpret_cast<const char*>(plain.data()),
                                                  role.c_str(), "scram-sha-256"));
    if (!verifier) {
      throw ChangeError(Error(ErrorCode::internal,
                              "cannot compute the SCRAM verifier: " + connection->last_error()),
                        false);
    }
    const PqString identifier(PQescapeIdentifier(connection->native(), role.data(), role.size()));
    const PqString literal(
        PQescapeLiteral(connection->native(), verifier.get(), std::strlen(verifier.get())));
    if (!identifier || !literal) {
      throw ChangeError(Error(ErrorCode::internal,
                              "cannot quote the ALTER ROLE statement: " + connection->last_error()),
                        false);
    }
    std::string sql = std::string("ALTER ROLE ") + identifier.get() + " PASSWORD " + literal.get();
    run_statement(*connection, sql, "ALTER ROLE " + std::string(identifier.get()) + " PASSWORD");
    OPENSSL_cleanse(sql.data(), sql.size());
  }

  Acceptance accepts(const vault::CredentialVersion& candidate,
                     const TargetContext& target) override {
    auto connection = PgConnection::open(candidate, target.lookup, target.timeout, "ward-rotate");
    if (connection.ok()) return Acceptance::accepted;
    if (connection.failure() == PgConnection::Failure::auth) return Acceptance::refused;
    fail(code_of(connection.failure()),
         "cannot connect to " + connection.endpoint() + ": " + connection.error());
  }

  void disable(const vault::CredentialVersion& current, const TargetContext& target) override {
    const auto role = role_of(current);
    std::string as;
    auto connection = connect_for_change(current, target, as);
    if (!connection.ok()) {
      fail(code_of(connection.failure()),
           "cannot log in to " + connection.endpoint() + " as " + as + ": " + connection.error());
    }
    const PqString identifier(PQescapeIdentifier(connection.native(), role.data(), role.size()));
    const PqString literal(PQescapeLiteral(connection.native(), role.data(), role.size()));
    if (!identifier || !literal) fail(ErrorCode::internal, connection.last_error());
    try {
      run_statement(connection, std::string("ALTER ROLE ") + identifier.get() + " NOLOGIN",
                    "ALTER ROLE " + std::string(identifier.get()) + " NOLOGIN");
      // Sessions already open keep working after NOLOGIN; a revocation ends them. The role
      // cannot terminate the session this runs in when it revokes itself, so that one is
      // skipped.
      run_statement(connection,
                    std::string("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                "usename = ") +
                        literal.get() + " AND pid <> pg_backend_pid()",
                    "ending the role's open sessions");
    } catch (const ChangeError& e) {
      throw Error(e.code(), e.what(),
                  check::field_or(current, "admin").empty()
                      ? "a role cannot usually disable itself: give the credential an admin "
                        "field naming a postgres credential with CREATEROLE"
                      : "");
    }
  }
};

}  // namespace

std::unique_ptr<Driver> make_postgres_driver() { return std::make_unique<PostgresDriver>(); }

}  // namespace ward::rotate
