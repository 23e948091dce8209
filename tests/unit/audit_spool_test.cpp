#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "test_support.hpp"
#include "ward/audit/log.hpp"
#include "ward/audit/spool.hpp"
#include "ward/crypto/random.hpp"
#include "ward/crypto/signing.hpp"
#include "ward/store/file_store.hpp"

namespace wa = ward::audit;
namespace fs = std::filesystem;
using ward::testing::TempDir;

namespace {

struct SpoolFixture {
  TempDir dir;
  std::unique_ptr<ward::store::ObjectStore> store = ward::store::make_file_store(dir.path() / "s");
  ward::crypto::SecretBytes key = ward::crypto::random_secret(32);
  wa::Log log{*store, key, "store-one"};
  fs::path spool_dir = wa::spool_directory(dir.path() / "state", "store-one");
  wa::Spool spool{spool_dir, key, "store-one"};

  SpoolFixture() { store->create(); }

  static wa::Event event(const std::string& action, const std::string& time) {
    wa::Event e;
    e.action = action;
    e.time = time;
    e.outcome = "error";
    e.code = 6;
    return e;
  }

  std::vector<fs::path> entries() const {
    std::vector<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(spool_dir)) {
      if (entry.is_regular_file() && entry.path().parent_path().filename() == "events")
        found.push_back(entry.path());
    }
    return found;
  }
};

}  // namespace

TEST_CASE("spooled events reach the trail in the order they were spooled, with their times") {
  SpoolFixture f;
  CHECK(f.spool.pending() == 0);
  f.spool.add(SpoolFixture::event("cred.rotate", "2026-01-01T00:00:01Z"));
  f.spool.add(SpoolFixture::event("cred.add", "2026-01-01T00:00:02Z"));
  REQUIRE(f.spool.pending() == 2);

  const auto result = f.spool.flush(f.log);
  CHECK(result.delivered == 2);
  CHECK(result.problems.empty());
  CHECK(f.spool.pending() == 0);

  const auto events = f.log.read();
  REQUIRE(events.size() == 2);
  CHECK(events[0].action == "cred.rotate");
  CHECK(events[0].time == "2026-01-01T00:00:01Z");
  CHECK(events[1].action == "cred.add");
  CHECK(events[1].details.at("spooled") == true);
  CHECK(events[0].details.at("spool_id") != events[1].details.at("spool_id"));
}

TEST_CASE("a spool entry never holds the event in plaintext") {
  SpoolFixture f;
  auto e = SpoolFixture::event("cred.rotate", "2026-01-01T00:00:01Z");
  e.target = "db/prod-visible-name";
  f.spool.add(e);
  const auto files = f.entries();
  REQUIRE(files.size() == 1);
  std::ifstream in(files[0], std::ios::binary);
  const std::string content((std::istreambuf_iterator<char>(in)), {});
  CHECK(content.find("db/prod-visible-name") == std::string::npos);
  CHECK(content.find("cred.rotate") == std::string::npos);
}

TEST_CASE("a tampered spool entry is refused, left in place, and the others are delivered") {
  SpoolFixture f;
  f.spool.add(SpoolFixture::event("cred.rotate", "2026-01-01T00:00:01Z"));
  f.spool.add(SpoolFixture::event("cred.add", "2026-01-01T00:00:02Z"));
  auto files = f.entries();
  std::sort(files.begin(), files.end());
  {
    std::fstream io(files[0], std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(20);
    io.put('\x5a');
  }
  const auto result = f.spool.flush(f.log);
  CHECK(result.delivered == 1);
  REQUIRE(result.problems.size() == 1);
  CHECK(result.problems[0].find("fails authentication") != std::string::npos);
  CHECK(f.spool.pending() == 1);
  const auto events = f.log.read();
  REQUIRE(events.size() == 1);
  CHECK(events[0].action == "cred.add");
}

TEST_CASE("a spool entry moved to another store's spool does not authenticate there") {
  SpoolFixture f;
  f.spool.add(SpoolFixture::event("cred.rotate", "2026-01-01T00:00:01Z"));
  const auto other_dir = wa::spool_directory(f.dir.path() / "state", "store-two");
  fs::create_directories(other_dir / "events");
  const auto file = f.entries().at(0);
  fs::copy_file(file, other_dir / "events" / file.filename());
  wa::Spool other{other_dir, f.key, "store-two"};
  const auto result = other.flush(f.log);
  CHECK(result.delivered == 0);
  CHECK(result.problems.size() == 1);
}
