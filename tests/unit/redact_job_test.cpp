#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "ward/redact/job.hpp"

namespace wr = ward::redact;
using ward::testing::error_code_of;

// Found by tests/fuzz/fuzz_redact_job: the operator of a condition was read through a reference
// into a temporary iterator (a stack use after scope under ASan), so `in`, `eq` and `is_null`
// conditions read freed stack memory.
TEST_CASE("redact job: retention conditions with operators") {
  const auto document = nlohmann::json::parse(R"({
    "name": "tables",
    "targets": [{"type": "sqlite", "database": "app.db", "table": "users",
                 "columns": {"email": "hash"},
                 "rules": [{"where": {"status": {"in": ["closed", 3, true]},
                                      "kind": {"is_null": false}, "plan": {"ne": "free"},
                                      "deleted": null, "tier": 2},
                            "older_than": "90d", "age_column": "closed_at"}]}]
  })");
  const auto job = wr::parse_job(document, "/jobs");
  REQUIRE(job.targets.size() == 1);
  const auto& target = job.targets[0];
  CHECK(target.database == "/jobs/app.db");
  REQUIRE(target.rules.size() == 1);
  const auto& where = target.rules[0].where;
  REQUIRE(where.size() == 5);  // in key order
  CHECK(where[0].column == "deleted");
  CHECK(where[0].op == "is_null");
  CHECK(where[1].column == "kind");
  CHECK(where[1].op == "not_null");
  CHECK(where[2].column == "plan");
  CHECK(where[2].op == "ne");
  CHECK(where[2].values == std::vector<std::string>{"free"});
  CHECK(where[3].column == "status");
  CHECK(where[3].op == "in");
  CHECK(where[3].values == std::vector<std::string>{"closed", "3", "true"});
  CHECK(where[4].op == "eq");
  CHECK(where[4].values == std::vector<std::string>{"2"});
  CHECK(target.rules[0].age_column == "closed_at");

  auto bad = document;
  bad["targets"][0]["rules"][0]["where"] = {{"status", {{"like", "x"}}}};
  CHECK(error_code_of([&] { (void)wr::parse_job(bad, "/jobs"); }) == ward::ErrorCode::usage);
  bad["targets"][0]["rules"][0]["where"] = {{"status", {{"in", "x"}, {"eq", "y"}}}};
  CHECK(error_code_of([&] { (void)wr::parse_job(bad, "/jobs"); }) == ward::ErrorCode::usage);
}
