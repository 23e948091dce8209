#include <catch2/catch.hpp>

#include "keyring_fixture.hpp"
#include "test_support.hpp"
#include "ward/check/results.hpp"
#include "ward/crypto/random.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/store/file_store.hpp"

namespace wc = ward::check;
namespace wk = ward::keyring;
using ward::testing::TempDir;

namespace {

using Fixture = ward::testing::KeyringFixture;

wc::Probe result(const std::string& target, const std::string& at, wc::Severity severity) {
  wc::Probe probe;
  probe.target = target;
  probe.kind = "tls";
  probe.checked_at = at;
  probe.add("tls.cert.expiring", severity, "expires soon", {{"days_left", 3}});
  probe.settle();
  return probe;
}

}  // namespace

TEST_CASE("check results: stored sealed, read back newest first, pruned, rewrapped") {
  Fixture f;
  auto& ns = f.keyring->ns("default");
  wc::ResultStore results(ns);
  CHECK_FALSE(results.latest("tls", "db.internal:5432"));

  const auto path =
      results.save(result("db.internal:5432", "2026-11-20T10:00:00Z", wc::Severity::low));
  results.save(result("db.internal:5432", "2026-11-21T10:00:00Z", wc::Severity::high));
  results.save(result("api.internal:443", "2026-11-19T10:00:00Z", wc::Severity::medium));
  CHECK(path.rfind("checks/" + ns.id() + "/", 0) == 0);

  // The store sees neither the host name nor the result in the clear.
  for (const auto& name : f.store->list("checks/")) {
    CHECK(name.find("db.internal") == std::string::npos);
    const auto bytes = f.store->get(name);
    REQUIRE(bytes);
    const std::string text(bytes->begin(), bytes->end());
    CHECK(text.find("tls.cert.expiring") == std::string::npos);
  }

  const auto newest = results.latest("tls", "db.internal:5432");
  REQUIRE(newest);
  CHECK(newest->checked_at == "2026-11-21T10:00:00Z");
  CHECK(newest->status == wc::Status::fail);
  CHECK(newest->findings.at(0).evidence["days_left"] == 3);
  CHECK_FALSE(results.latest("http", "db.internal:5432"));
  CHECK(results.latest_all().size() == 2);

  // Old results beyond the limit go.
  for (std::size_t i = 0; i < wc::ResultStore::k_kept_results + 3; ++i) {
    results.save(
        result("db.internal:5432",
               "2026-11-22T10:00:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "Z",
               wc::Severity::info));
  }
  const auto prefix_of_db = path.substr(0, path.rfind('/') + 1);
  CHECK(f.store->list(prefix_of_db).size() == wc::ResultStore::k_kept_results);

  // Rotation and rewrap cover stored results, which stay readable.
  ns.rotate_kek();
  const auto rewrap = ns.rewrap();
  CHECK(rewrap.rewrapped >= wc::ResultStore::k_kept_results + 1);
  CHECK(results.latest("tls", "api.internal:443")->status == wc::Status::fail);
  CHECK(ns.kek_usage().size() == 1);

  // A result moved to another target's place fails authentication.
  const auto names = f.store->list(prefix_of_db);
  const auto api = results.latest_all();
  REQUIRE(api.size() == 2);
  const auto bytes = f.store->get(names.back());
  const auto other_prefix = f.store->list("checks/" + ns.id() + "/");
  std::string api_name;
  for (const auto& n : other_prefix) {
    if (n.rfind(prefix_of_db, 0) != 0) api_name = n;
  }
  REQUIRE(!api_name.empty());
  f.store->remove(api_name);
  REQUIRE(f.store->put_if_absent(api_name, *bytes));
  CHECK(ward::testing::error_code_of([&] { (void)results.latest("tls", "api.internal:443"); }) ==
        ward::ErrorCode::auth);
}
