#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "ward/audit/log.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/store/file_store.hpp"
#include "ward/util/duration.hpp"

// Not a test: the filler of tests/bench/report.sh, hidden from CTest ("[.]") and run by name.
// Appends WARD_BENCH_EVENTS audit events to the file store at WARD_BENCH_STORE (unlocked with
// the key file WARD_BENCH_KEY_FILE) through the library, then seals them into segments, as a
// long-lived store would be.
TEST_CASE("bench: fill the audit trail", "[.bench]") {
  const char* store_dir = std::getenv("WARD_BENCH_STORE");
  const char* key_file = std::getenv("WARD_BENCH_KEY_FILE");
  const char* count_text = std::getenv("WARD_BENCH_EVENTS");
  REQUIRE(store_dir != nullptr);
  REQUIRE(key_file != nullptr);
  const auto count = count_text != nullptr ? std::stoul(count_text) : 100000UL;
  auto store = ward::store::make_file_store(store_dir);
  auto keyring = ward::keyring::Keyring::open(*store, ward::keyring::read_key_file(key_file));
  ward::audit::Log log(*store, keyring->audit_key(), keyring->config().store_id);
  const std::vector<std::string> actions{"cred.get",  "cred.rotate", "backup.create",
                                         "check.tls", "cred.list",   "key.rotate"};
  // Spread over the last 30 days, oldest first, so the report's window holds them all.
  const auto start = ward::util::now() - std::chrono::hours(24 * 30);
  const auto step = std::chrono::seconds(24 * 30 * 3600) / static_cast<long>(count + 1);
  for (unsigned long i = 0; i < count; ++i) {
    ward::audit::Event e;
    e.time = ward::util::format_time(std::chrono::time_point_cast<std::chrono::seconds>(
        start + step * static_cast<long>(i + 1)));
    e.actor = ward::audit::current_actor();
    if (i % 3 == 0) e.actor.user = "ci-runner";
    e.action = actions[i % actions.size()];
    e.ns = "default";
    e.target = "db/prod-" + std::to_string(i % 50);
    e.outcome = i % 97 == 0 ? "error" : "ok";
    e.code = e.outcome == "ok" ? 0 : 4;
    e.details = {{"version", i % 7}};
    (void)log.append(std::move(e));
  }
  (void)log.seal(1);
}
