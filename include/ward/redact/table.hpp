#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ward/vault/credential.hpp"

namespace ward::redact {

// One condition on a column: {"status": {"not_in": ["submitted"]}}. NULL counts as "not
// equal" and "not in", so an unset status is redacted by a not_in rule.
struct Condition {
  std::string column;
  std::string op;  // eq | ne | in | not_in | is_null | not_null
  std::vector<std::string> values;
};

// A retention rule: rows matching every condition and older than `older_than` on `age_column`.
// A table's rules are alternatives (a row is redacted when any rule matches it).
struct RetentionRule {
  std::vector<Condition> where;
  std::optional<std::chrono::seconds> older_than;
  std::string age_column;
  std::string cutoff;  // RFC 3339: now - older_than, filled in when the run starts
};

using Value = std::optional<std::string>;  // nullopt: SQL NULL

struct Row {
  std::string key;
  std::vector<Value> values;  // in the order of the selected columns
};

// A database table reached through its own client library. Every statement uses bound
// parameters; identifiers are quoted. Implementations: SQLite and PostgreSQL (libpq).
class Database {
 public:
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&&) = delete;
  Database& operator=(Database&&) = delete;
  virtual ~Database() = default;

  [[nodiscard]] virtual std::string kind() const = 0;
  // The table's columns; throws Error(not_found) when the table does not exist.
  virtual std::set<std::string> columns(const std::string& table) = 0;
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // Up to `limit` rows with key > after (all rows when after is empty), ordered by key,
  // matching any rule (every row when `rules` is empty), with `columns` selected.
  virtual std::vector<Row> select(const std::string& table, const std::string& key,
                                  const std::vector<std::string>& columns,
                                  const std::vector<RetentionRule>& rules,
                                  const std::optional<std::string>& after, std::size_t limit) = 0;
  virtual void update(const std::string& table, const std::string& key,
                      const std::string& key_value, const std::vector<std::string>& columns,
                      const std::vector<Value>& values) = 0;
};

// Opens an existing SQLite database read-write; throws Error(not_found) when it is missing.
std::unique_ptr<Database> open_sqlite(const std::string& path);
// Connects with a `postgres` credential's libpq keywords (host, port, user, dbname, sslmode,
// sslrootcert) and its secret `password`; sslmode defaults to verify-full. Throws
// Error(unreachable) when the server cannot be reached and Error(auth) when it refuses the login.
std::unique_ptr<Database> open_postgres(const vault::CredentialVersion& credential,
                                        std::chrono::seconds timeout);

// SQL text shared by both: a quoted identifier ("schema"."table" for dotted names).
std::string quote_identifier(const std::string& name);

// The SELECT of Database::select in one dialect; parameters are appended to `params`.
struct SqlDialect {
  std::string (*placeholder)(std::size_t index);  // 1-based: "?" or "$1"
  std::string (*older_than)(const std::string& column, const std::string& placeholder);
};
std::string select_sql(const SqlDialect& dialect, const std::string& table, const std::string& key,
                       const std::vector<std::string>& columns,
                       const std::vector<RetentionRule>& rules,
                       const std::optional<std::string>& after, std::size_t limit,
                       std::vector<std::string>& params);

}  // namespace ward::redact
