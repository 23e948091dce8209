// PostgreSQL tables over libpq, connected with a stored `postgres` credential (libpq's keyword
// fields and the secret `password`), TLS verified by default.
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include <deque>

#include "ward/error.hpp"
#include "ward/redact/table.hpp"
#include "ward/util/private_file.hpp"

namespace ward::redact {
namespace {

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string placeholder(std::size_t index) { return "$" + std::to_string(index); }
std::string older_than(const std::string& column, const std::string& param) {
  return column + " < " + param + "::timestamptz";
}

std::string field_or(const vault::CredentialVersion& credential, const std::string& name,
                     std::string fallback = {}) {
  const auto found = credential.fields.find(name);
  return found == credential.fields.end() || found->second.empty() ? fallback : found->second;
}

std::string first_line(std::string message) {
  if (const auto failed = message.find("failed: "); failed != std::string::npos)
    message = message.substr(failed + 8);
  if (const auto newline = message.find('\n'); newline != std::string::npos)
    message.resize(newline);
  return message;
}

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(const vault::CredentialVersion& credential, std::chrono::seconds timeout)
      : m_name(credential.name) {
    if (!field_or(credential, "bastion").empty()) {
      fail(ErrorCode::usage, "credential '" + credential.name + "' is reached through a bastion",
           "run the job through `ward tunnel` and a credential for the local end");
    }
    const auto host = field_or(credential, "host");
    if (host.empty())
      fail(ErrorCode::usage, "credential '" + credential.name + "' has no host field");
    std::optional<util::PrivateFile> root_cert;
    auto sslrootcert = field_or(credential, "sslrootcert");
    if (util::looks_like_content(sslrootcert)) {
      root_cert.emplace(sslrootcert, "sslrootcert");
      sslrootcert = root_cert->path().string();
    }
    std::string password;
    if (const auto found = credential.secrets.find("password"); found != credential.secrets.end()) {
      password = std::string(found->second.reveal());
    }
    std::vector<const char*> keys;
    std::vector<const char*> values;
    std::deque<std::string> owned;
    const auto set = [&](const char* key, std::string value) {
      if (value.empty()) return;
      keys.push_back(key);
      values.push_back(owned.emplace_back(std::move(value)).c_str());
    };
    set("host", host);
    set("port", field_or(credential, "port", "5432"));
    set("user", field_or(credential, "user"));
    set("dbname", field_or(credential, "dbname", field_or(credential, "user")));
    set("sslmode", field_or(credential, "sslmode", "verify-full"));
    set("sslrootcert", sslrootcert);
    set("connect_timeout", std::to_string(std::max<long long>(1, timeout.count())));
    set("gssencmode", "disable");
    set("application_name", "ward-redact");
    set("password", password);
    keys.push_back(nullptr);
    values.push_back(nullptr);
    m_conn.reset(PQconnectdbParams(keys.data(), values.data(), 0));
    OPENSSL_cleanse(password.data(), password.size());
    for (auto& value : owned) OPENSSL_cleanse(value.data(), value.size());
    if (!m_conn || PQstatus(m_conn.get()) != CONNECTION_OK) {
      const auto message = first_line(m_conn ? PQerrorMessage(m_conn.get()) : "out of memory");
      const bool refused_login = message.find("authentication failed") != std::string::npos ||
                                 message.find("password") != std::string::npos;
      fail(refused_login ? ErrorCode::auth : ErrorCode::unreachable,
           "cannot connect to PostgreSQL with credential '" + credential.name + "': " + message);
    }
  }

  [[nodiscard]] std::string kind() const override { return "postgres"; }

  std::set<std::string> columns(const std::string& table) override {
    const auto result = run("SELECT * FROM " + quote_identifier(table) + " LIMIT 0", {});
    std::set<std::string> out;
    for (int i = 0; i < PQnfields(result.get()); ++i) out.insert(PQfname(result.get(), i));
    return out;
  }

  void begin() override { (void)run("BEGIN", {}); }
  void commit() override { (void)run("COMMIT", {}); }
  void rollback() noexcept override { PQclear(PQexec(m_conn.get(), "ROLLBACK")); }

  std::vector<Row> select(const std::string& table, const std::string& key,
                          const std::vector<std::string>& columns,
                          const std::vector<RetentionRule>& rules,
                          const std::optional<std::string>& after, std::size_t limit) override {
    std::vector<std::string> params;
    auto sql =
        select_sql({placeholder, older_than}, table, key, columns, rules, after, limit, params);
    sql += " FOR UPDATE";  // the batch's rows stay ours until the commit
    std::vector<Value> bound(params.begin(), params.end());
    const auto result = run(sql, bound);
    std::vector<Row> rows;
    for (int r = 0; r < PQntuples(result.get()); ++r) {
      Row row;
      row.key = PQgetvalue(result.get(), r, 0);
      for (int c = 1; c <= static_cast<int>(columns.size()); ++c) {
        if (PQgetisnull(result.get(), r, c) != 0) {
          row.values.emplace_back(std::nullopt);
        } else {
          row.values.emplace_back(
              std::string(PQgetvalue(result.get(), r, c),
                          static_cast<std::size_t>(PQgetlength(result.get(), r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  void update(const std::string& table, const std::string& key, const std::string& key_value,
              const std::vector<std::string>& columns, const std::vector<Value>& values) override {
    std::string sql = "UPDATE " + quote_identifier(table) + " SET ";
    std::vector<Value> bound;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      sql += (i == 0 ? "" : ", ") + quote_identifier(columns[i]) + " = $" + std::to_string(i + 1);
      bound.push_back(values[i]);
    }
    sql += " WHERE " + quote_identifier(key) + " = $" + std::to_string(columns.size() + 1);
    bound.emplace_back(key_value);
    (void)run(sql, bound);
  }

 private:
  Result run(const std::string& sql, const std::vector<Value>& params) {
    std::vector<const char*> values;
    for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
    Result result(PQexecParams(m_conn.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
    const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const auto* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
      const std::string sqlstate = state != nullptr ? state : "";
      const auto message =
          first_line(result ? PQresultErrorMessage(result.get()) : PQerrorMessage(m_conn.get()));
      if (PQstatus(m_conn.get()) != CONNECTION_OK) {
        fail(ErrorCode::unreachable,
             "lost the PostgreSQL connection of '" + m_name + "': " + message);
      }
      const auto code = sqlstate == "42P01"                          ? ErrorCode::not_found
                        : sqlstate == "40001" || sqlstate == "40P01" ? ErrorCode::conflict
                                                                     : ErrorCode::usage;
      fail(code, "PostgreSQL (credential '" + m_name + "'): " + message);
    }
    return result;
  }

  std::string m_name;
  std::unique_ptr<PGconn, ConnDeleter> m_conn;
};

}  // namespace

std::unique_ptr<Database> open_postgres(const vault::CredentialVersion& credential,
                                        std::chrono::seconds timeout) {
  return std::make_unique<PostgresDatabase>(credential, timeout);
}

}  // namespace ward::redact
