#include "ward/error.hpp"
#include "ward/redact/table.hpp"

namespace ward::redact {

std::string quote_identifier(const std::string& name) {
  std::string out;
  std::size_t start = 0;
  for (;;) {
    const auto dot = name.find('.', start);
    const auto part =
        name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) fail(ErrorCode::usage, "empty identifier in '" + name + "'");
    out += '"';
    for (const char c : part) {
      out += c;
      if (c == '"') out += '"';
    }
    out += '"';
    if (dot == std::string::npos) return out;
    out += '.';
    start = dot + 1;
  }
}

std::string select_sql(const SqlDialect& dialect, const std::string& table, const std::string& key,
                       const std::vector<std::string>& columns,
                       const std::vector<RetentionRule>& rules,
                       const std::optional<std::string>& after, std::size_t limit,
                       std::vector<std::string>& params) {
  const auto param = [&](std::string value) {
    params.push_back(std::move(value));
    return dialect.placeholder(params.size());
  };
  std::string sql = "SELECT " + quote_identifier(key);
  for (const auto& column : columns) sql += ", " + quote_identifier(column);
  sql += " FROM " + quote_identifier(table);
  std::vector<std::string> clauses;
  if (!rules.empty()) {
    std::string any;
    for (const auto& rule : rules) {
      std::vector<std::string> all;
      for (const auto& condition : rule.where) {
        const auto column = quote_identifier(condition.column);
        if (condition.op == "eq") {
          all.push_back(column + " = " + param(condition.values.at(0)));
        } else if (condition.op == "ne") {
          all.push_back("(" + column + " IS NULL OR " + column + " <> " +
                        param(condition.values.at(0)) + ")");
        } else if (condition.op == "in" || condition.op == "not_in") {
          std::string list;
          for (const auto& value : condition.values)
            list += (list.empty() ? "" : ", ") + param(value);
          if (condition.op == "in") {
            all.push_back(column + " IN (" + list + ")");
          } else {
            all.push_back("(" + column + " IS NULL OR " + column + " NOT IN (" + list + "))");
          }
        } else if (condition.op == "is_null") {
          all.push_back(column + " IS NULL");
        } else if (condition.op == "not_null") {
          all.push_back(column + " IS NOT NULL");
        }
      }
      if (rule.older_than) {
        all.push_back(dialect.older_than(quote_identifier(rule.age_column), param(rule.cutoff)));
      }
      std::string conjunction;
      for (const auto& clause : all) conjunction += (conjunction.empty() ? "" : " AND ") + clause;
      if (conjunction.empty()) conjunction = "1 = 1";
      any += (any.empty() ? "(" : " OR (") + conjunction + ")";
    }
    clauses.push_back("(" + any + ")");
  }
  if (after) clauses.push_back(quote_identifier(key) + " > " + param(*after));
  for (std::size_t i = 0; i < clauses.size(); ++i)
    sql += (i == 0 ? " WHERE " : " AND ") + clauses[i];
  sql += " ORDER BY " + quote_identifier(key) + " LIMIT " + std::to_string(limit);
  return sql;
}

}  // namespace ward::redact
