#include <catch2/catch.hpp>

#include "keyring_fixture.hpp"
#include "test_support.hpp"
#include "ward/crypto/random.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/redact/run_record.hpp"
#include "ward/store/file_store.hpp"
#include "ward/util/duration.hpp"

namespace wr = ward::redact;
namespace wk = ward::keyring;
using ward::testing::TempDir;

namespace {

using Fixture = ward::testing::KeyringFixture;

wr::RunRecord run(const std::string& job, const std::string& at, std::uint64_t emails) {
  wr::RunRecord record;
  record.job = job;
  record.started = at;
  record.finished = at;
  record.detectors["email"] = emails;
  record.columns["applications:email"] = emails;
  record.rows_touched = emails;
  record.items = emails;
  record.expect_every = std::chrono::hours(24);
  record.targets = {"sqlite"};
  return record;
}

}  // namespace

TEST_CASE("redact run records: sealed, listed per job and newest per job, rewrapped") {
  Fixture f;
  auto& ns = f.keyring->ns("default");
  wr::RunStore runs(ns);
  CHECK(wr::list_runs(ns).empty());

  const auto path = runs.save(run("applications-retention", "2026-11-20T10:00:00Z", 3));
  runs.save(run("applications-retention", "2026-11-21T10:00:00Z", 5));
  runs.save(run("exports", "2026-11-19T10:00:00Z", 7));
  CHECK(path.rfind("redact/" + ns.id() + "/", 0) == 0);

  for (const auto& name : f.store->list("redact/")) {
    CHECK(name.find("applications") == std::string::npos);
    const auto bytes = f.store->get(name);
    REQUIRE(bytes);
    const std::string text(bytes->begin(), bytes->end());
    CHECK(text.find("applications") == std::string::npos);
    CHECK(text.find("rows_touched") == std::string::npos);
  }

  const auto all = wr::list_runs(ns);
  REQUIRE(all.size() == 3);
  CHECK(all[0].job == "applications-retention");
  CHECK(all[0].items == 3);
  CHECK(all[1].items == 5);
  CHECK(all[2].job == "exports");

  const auto latest = wr::list_runs(ns, {.job = std::nullopt, .latest_only = true});
  REQUIRE(latest.size() == 2);
  CHECK(latest[0].job == "applications-retention");
  CHECK(latest[0].started == "2026-11-21T10:00:00Z");
  CHECK(latest[0].detectors.at("email") == 5);
  REQUIRE(latest[0].expect_every);
  CHECK(*latest[0].expect_every == std::chrono::hours(24));
  CHECK(latest[1].job == "exports");

  const auto one = wr::list_runs(ns, {.job = "exports", .latest_only = false});
  REQUIRE(one.size() == 1);
  CHECK(one[0].columns.at("applications:email") == 7);

  // Run records are KEK-wrapped: a rotation and rewrap moves them to the new version.
  ns.rotate_kek();
  const auto result = ns.rewrap();
  CHECK(result.rewrapped >= 3);
  CHECK(wr::list_runs(ns, {.job = std::nullopt, .latest_only = true}).size() == 2);
}

// Start times are whole seconds: of runs that started in one second, the one saved last is
// still the newest (what `redact jobs` shows as last_run), not whichever random suffix sorts
// last.
TEST_CASE("redact run records: of runs started in one second the last saved is the newest") {
  Fixture f;
  auto& ns = f.keyring->ns("default");
  wr::RunStore runs(ns);
  for (std::uint64_t n = 1; n <= 12; ++n) {
    runs.save(run("same-second", ward::util::format_time(ward::util::now()), n));
    const auto latest = wr::list_runs(ns, {.job = "same-second", .latest_only = true});
    REQUIRE(latest.size() == 1);
    CHECK(latest[0].items == n);
  }
}
