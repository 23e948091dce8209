// SQLite tables (the database file must exist; ward never creates one).
#include <sqlite3.h>

#include <filesystem>

#include "ward/error.hpp"
#include "ward/redact/table.hpp"

namespace ward::redact {
namespace {

struct DbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

std::string placeholder(std::size_t /*index*/) { return "?"; }
// julianday() reads ISO 8601 text with or without a "T" and a "Z", so both the column and the
// cutoff may use either spelling.
std::string older_than(const std::string& column, const std::string& param) {
  return "julianday(" + column + ") < julianday(" + param + ")";
}

bool is_integer(const std::string& text) {
  if (text.empty() || text.size() > 18) return false;
  std::size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(const std::string& path) : m_path(path) {
    if (!std::filesystem::exists(path)) {
      fail(ErrorCode::not_found, "SQLite database " + path + " does not exist");
    }
    sqlite3* db = nullptr;
    const auto rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    m_db.reset(db);
    if (rc != SQLITE_OK)
      fail(ErrorCode::usage, "cannot open SQLite database " + path + ": " + message());
    sqlite3_busy_timeout(db, 10000);
  }

  [[nodiscard]] std::string kind() const override { return "sqlite"; }

  std::set<std::string> columns(const std::string& table) override {
    auto stmt = prepare("SELECT * FROM " + quote_identifier(table) + " LIMIT 0");
    std::set<std::string> out;
    for (int i = 0; i < sqlite3_column_count(stmt.get()); ++i)
      out.insert(sqlite3_column_name(stmt.get(), i));
    out.insert("rowid");
    return out;
  }

  void begin() override { exec("BEGIN IMMEDIATE"); }
  void commit() override { exec("COMMIT"); }
  void rollback() noexcept override {
    sqlite3_exec(m_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  std::vector<Row> select(const std::string& table, const std::string& key,
                          const std::vector<std::string>& columns,
                          const std::vector<RetentionRule>& rules,
                          const std::optional<std::string>& after, std::size_t limit) override {
    std::vector<std::string> params;
    const auto sql =
        select_sql({placeholder, older_than}, table, key, columns, rules, after, limit, params);
    auto stmt = prepare(sql);
    bind(stmt.get(), params);
    std::vector<Row> rows;
    for (;;) {
      const auto rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW)
        fail(ErrorCode::usage, "SQLite query failed on " + m_path + ": " + message());
      Row row;
      row.key = text(stmt.get(), 0).value_or("");
      for (int i = 1; i <= static_cast<int>(columns.size()); ++i)
        row.values.push_back(text(stmt.get(), i));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  void update(const std::string& table, const std::string& key, const std::string& key_value,
              const std::vector<std::string>& columns, const std::vector<Value>& values) override {
    std::string sql = "UPDATE " + quote_identifier(table) + " SET ";
    for (std::size_t i = 0; i < columns.size(); ++i)
      sql += (i == 0 ? "" : ", ") + quote_identifier(columns[i]) + " = ?";
    sql += " WHERE " + quote_identifier(key) + " = ?";
    auto stmt = prepare(sql);
    int index = 1;
    for (const auto& value : values) {
      if (value) {
        sqlite3_bind_text(stmt.get(), index, value->data(), static_cast<int>(value->size()),
                          SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_null(stmt.get(), index);
      }
      ++index;
    }
    bind_one(stmt.get(), index, key_value);
    if (sqlite3_step(stmt.get()) != SQLITE_DONE) {
      fail(ErrorCode::usage, "SQLite update failed on " + m_path + ": " + message());
    }
  }

 private:
  std::string message() const { return m_db ? sqlite3_errmsg(m_db.get()) : "out of memory"; }

  Stmt prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(m_db.get(), sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      const auto text = message();
      const auto code =
          text.find("no such table") != std::string::npos ? ErrorCode::not_found : ErrorCode::usage;
      fail(code, "SQLite rejected a statement on " + m_path + ": " + text);
    }
    return Stmt(stmt);
  }

  void exec(const char* sql) {
    if (sqlite3_exec(m_db.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      fail(ErrorCode::conflict,
           std::string("SQLite ") + sql + " failed on " + m_path + ": " + message(), "retry");
    }
  }

  static void bind_one(sqlite3_stmt* stmt, int index, const std::string& value) {
    if (is_integer(value)) {
      sqlite3_bind_int64(stmt, index, std::stoll(value));
    } else {
      sqlite3_bind_text(stmt, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT);
    }
  }
  static void bind(sqlite3_stmt* stmt, const std::vector<std::string>& params) {
    for (std::size_t i = 0; i < params.size(); ++i)
      bind_one(stmt, static_cast<int>(i + 1), params[i]);
  }
  static Value text(sqlite3_stmt* stmt, int column) {
    if (sqlite3_column_type(stmt, column) == SQLITE_NULL) return std::nullopt;
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
  }

  std::string m_path;
  std::unique_ptr<sqlite3, DbDeleter> m_db;
};

}  // namespace

std::unique_ptr<Database> open_sqlite(const std::string& path) {
  return std::make_unique<SqliteDatabase>(path);
}

}  // namespace ward::redact
