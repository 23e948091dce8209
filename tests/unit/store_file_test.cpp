#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "store_conformance.hpp"
#include "test_support.hpp"
#include "ward/store/file_store.hpp"
#include "ward/store/object_store.hpp"

using ward::testing::TempDir;

TEST_CASE("file store passes the object store conformance suite") {
  TempDir dir;
  auto store = ward::store::make_file_store(dir.path() / "store");
  ward::testing::check_object_store_conformance(*store);
}

TEST_CASE("file store leaves no temporary files and keeps its root private") {
  TempDir dir;
  auto store = ward::store::make_file_store(dir.path() / "store");
  store->create();
  REQUIRE(store->put_if_absent("x/y", ward::testing::bytes_of("data")));
  REQUIRE_FALSE(store->put_if_absent("x/y", ward::testing::bytes_of("other")));
  (void)store->put_batch(
      {{"x/z", ward::testing::bytes_of("1")}, {"x/y", ward::testing::bytes_of("2")}});
  REQUIRE(std::filesystem::is_empty(dir.path() / "store" / ".tmp"));
  struct stat st {};
  REQUIRE(::stat((dir.path() / "store").c_str(), &st) == 0);
  REQUIRE((st.st_mode & 0777) == 0700);
}

TEST_CASE("file store removes temporary files once they are old enough") {
  TempDir dir;
  auto store = ward::store::make_file_store(dir.path() / "store");
  store->create();
  ward::testing::check_stale_temporaries_removed(*store, dir.path() / "store" / ".tmp");
}

TEST_CASE("store URLs open the file backend or fail with a usage error") {
  TempDir dir;
  const auto url = "file://" + (dir.path() / "s").string();
  REQUIRE(ward::store::open_object_store(url)->url() == url);
  using ward::ErrorCode;
  using ward::testing::error_code_of;
  REQUIRE(error_code_of([] { (void)ward::store::open_object_store("file://relative/path"); }) ==
          ErrorCode::usage);
  REQUIRE(error_code_of([] { (void)ward::store::open_object_store("gopher://x/y"); }) ==
          ErrorCode::usage);
  REQUIRE(error_code_of([] { (void)ward::store::open_object_store(""); }) == ErrorCode::usage);
}

#include "ward/store/suffix_put_store.hpp"

namespace {

// Stands in for an S3-compatible server that ignores `If-None-Match: *`: its put overwrites.
// (s3rver behaves this way; the S3 backend's own tests will use it for real.)
class OverwritingStoreStandIn final : public ward::store::ObjectStore {
 public:
  explicit OverwritingStoreStandIn(std::unique_ptr<ward::store::ObjectStore> inner)
      : m_inner(std::move(inner)) {}
  [[nodiscard]] std::string url() const override { return m_inner->url(); }
  [[nodiscard]] bool atomic_put_if_absent() const override { return false; }
  bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) override {
    m_inner->remove(name);
    return m_inner->put_if_absent(name, data);
  }
  std::optional<ward::store::Bytes> get(const std::string& name) override {
    return m_inner->get(name);
  }
  std::vector<std::string> list(const std::string& prefix) override {
    return m_inner->list(prefix);
  }
  void remove(const std::string& name) override { m_inner->remove(name); }
  bool create() override { return m_inner->create(); }
  bool exists() override { return m_inner->exists(); }

 private:
  std::unique_ptr<ward::store::ObjectStore> m_inner;
};

// A file store that records the listings asked of it.
class ListingRecorder final : public ward::store::ObjectStore {
 public:
  explicit ListingRecorder(std::unique_ptr<ward::store::ObjectStore> inner)
      : m_inner(std::move(inner)) {}
  [[nodiscard]] std::string url() const override { return m_inner->url(); }
  bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) override {
    return m_inner->put_if_absent(name, data);
  }
  std::optional<ward::store::Bytes> get(const std::string& name) override {
    return m_inner->get(name);
  }
  std::vector<std::string> list(const std::string& prefix) override {
    listings.push_back("list " + prefix);
    return m_inner->list(prefix);
  }
  std::vector<ListEntry> list_entries_starting_with(const std::string& stem) override {
    listings.push_back("starting with " + stem);
    return with_sizes(m_inner->list_entries_starting_with(stem));
  }
  std::vector<ListEntry> list_entries_between(const std::string& stem, const std::string& after,
                                              const std::string& before,
                                              std::size_t expected) override {
    listings.push_back("in " + stem + " after " + after + " before " + before + " expecting " +
                       std::to_string(expected));
    return with_sizes(m_inner->list_entries_between(stem, after, before, expected));
  }
  void remove(const std::string& name) override { m_inner->remove(name); }
  bool create() override { return m_inner->create(); }
  bool exists() override { return m_inner->exists(); }

  std::vector<std::string> listings;

 private:
  // Sizes in every listing, as S3's carry them (the file store's leave them unknown), so the
  // suffix protocol can tell a candidate still being written.
  std::vector<ListEntry> with_sizes(std::vector<ListEntry> entries) {
    for (auto& entry : entries) {
      if (const auto bytes = m_inner->get(entry.name)) entry.size = bytes->size();
    }
    return entries;
  }
  std::unique_ptr<ward::store::ObjectStore> m_inner;
};

}  // namespace

TEST_CASE("the suffix protocol lists a batch's neighbourhood, not its whole directory") {
  TempDir dir;
  auto recorder = std::make_unique<ListingRecorder>(ward::store::make_file_store(dir.path() / "s"));
  auto* inner = recorder.get();
  auto store = ward::store::make_suffix_put_store(std::move(recorder));
  store->create();
  std::vector<ward::store::ObjectStore::PutRequest> requests;
  std::vector<std::string> names;
  for (int i = 100; i < 200; ++i) names.push_back("d/" + std::to_string(i));
  for (const auto& name : names) requests.push_back({name, ward::testing::bytes_of(name)});
  const auto written = store->put_batch(requests);
  REQUIRE(std::count(written.begin(), written.end(), true) == 100);
  // A losing candidate a killed writer left beside d/151's winner.
  REQUIRE(inner->put_if_absent("d/151~99999999999999999999aaaaaaaaaaaa-4",
                               ward::testing::bytes_of("lost")));

  inner->listings.clear();
  const auto read = store->get_batch({"d/152", "d/150", "d/151"});
  const std::string before = std::string("d/152") + static_cast<char>('~' + 1);
  REQUIRE(inner->listings ==
          std::vector<std::string>{"in d/ after d/150 before " + before + " expecting 3"});
  REQUIRE(read[0].bytes == ward::testing::bytes_of("d/152"));
  REQUIRE(read[1].bytes == ward::testing::bytes_of("d/150"));
  REQUIRE(read[2].bytes == ward::testing::bytes_of("d/151"));
  // A lone name lists its own candidates only.
  inner->listings.clear();
  REQUIRE(store->get("d/199") == ward::testing::bytes_of("d/199"));
  REQUIRE(inner->listings == std::vector<std::string>{"starting with d/199~"});

  // Removal finds every candidate of every name through the same ranges.
  inner->listings.clear();
  store->remove_batch({"d/151", "d/150"});
  REQUIRE(inner->listings.size() == 1);
  REQUIRE(inner->listings.front().starts_with("in d/ after d/150 before d/151"));
  const auto left = inner->list("d/");
  REQUIRE(left.size() == 98);
  for (const auto& name : left) {
    INFO(name);
    REQUIRE_FALSE(name.starts_with("d/150~"));
    REQUIRE_FALSE(name.starts_with("d/151~"));
  }
  REQUIRE(store->list("d/").size() == 98);
}

TEST_CASE("the suffix protocol reads and writes what a recent list() saw without listing again") {
  TempDir dir;
  auto recorder = std::make_unique<ListingRecorder>(ward::store::make_file_store(dir.path() / "s"));
  auto* inner = recorder.get();
  auto store = ward::store::make_suffix_put_store(std::move(recorder));
  // Another process writing the same store.
  auto other = ward::store::make_suffix_put_store(ward::store::make_file_store(dir.path() / "s"));
  store->create();
  std::vector<ward::store::ObjectStore::PutRequest> requests;
  for (int i = 0; i < 10; ++i) {
    const auto name = "d/" + std::to_string(i);
    requests.push_back({name, ward::testing::bytes_of(name)});
  }
  REQUIRE(std::count_if(requests.begin(), requests.end(),
                        [&](const auto& r) { return other->put_if_absent(r.name, r.data); }) == 10);
  REQUIRE(store->list("").size() == 10);

  // Read straight from the listing: no listing of its own.
  inner->listings.clear();
  auto read = store->get_batch({"d/3", "d/4", "d/5"});
  REQUIRE(inner->listings.empty());
  REQUIRE(read[0].bytes == ward::testing::bytes_of("d/3"));
  REQUIRE(read[2].bytes == ward::testing::bytes_of("d/5"));

  // Changed since the listing by the other process: removed, and removed and written again.
  other->remove("d/3");
  other->remove("d/4");
  REQUIRE(other->put_if_absent("d/4", ward::testing::bytes_of("new d/4")));
  inner->listings.clear();
  read = store->get_batch({"d/3", "d/4", "d/5"});
  REQUIRE(inner->listings.size() == 1);  // the two that had gone, looked up again
  REQUIRE_FALSE(read[0].bytes);
  REQUIRE_FALSE(read[0].error);
  REQUIRE(read[1].bytes == ward::testing::bytes_of("new d/4"));
  REQUIRE(read[2].bytes == ward::testing::bytes_of("d/5"));

  // A batch of names the listing saw absent skips the listing before its writes, not the one
  // after; a name another process wrote since the listing stays that process's.
  REQUIRE(other->put_if_absent("d/20", ward::testing::bytes_of("theirs")));
  inner->listings.clear();
  const auto written = store->put_batch({{"d/20", ward::testing::bytes_of("mine")},
                                         {"d/21", ward::testing::bytes_of("d/21")},
                                         {"d/5", ward::testing::bytes_of("again")}});
  REQUIRE(written == std::vector<bool>{false, true, false});
  REQUIRE(inner->listings.size() == 2);  // d/5 before (the listing saw it), all three after
  REQUIRE(store->get("d/20") == ward::testing::bytes_of("theirs"));
  REQUIRE(store->get("d/5") == ward::testing::bytes_of("d/5"));
  REQUIRE(other->get("d/21") == ward::testing::bytes_of("d/21"));
  // No losing candidate is left behind: one candidate for each of d/0-9 but d/3, d/20, d/21.
  REQUIRE(inner->list("d/").size() == 11);

  // Names this store has written are not taken from the listing any more.
  inner->listings.clear();
  REQUIRE(store->get("d/21") == ward::testing::bytes_of("d/21"));
  REQUIRE(inner->listings.size() == 1);

  // A winner the listing saw still being written (shorter than its name says, and recent) is
  // not read from the listing: a listing of its own finds it, and the read is a conflict.
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%020lld", static_cast<long long>(nanos));
  REQUIRE(inner->put_if_absent(std::string("d/30~") + stamp + "aaaaaaaaaaaa-999",
                               ward::testing::bytes_of("partial")));
  REQUIRE(store->list("").size() == 12);
  inner->listings.clear();
  read = store->get_batch({"d/30", "d/5"});
  REQUIRE(inner->listings.size() == 1);
  REQUIRE(read[0].error);
  REQUIRE(read[0].error->code() == ward::ErrorCode::conflict);
  REQUIRE(read[1].bytes == ward::testing::bytes_of("d/5"));
}

TEST_CASE("the suffix protocol lists again once what list() saw is too old") {
  TempDir dir;
  auto recorder = std::make_unique<ListingRecorder>(ward::store::make_file_store(dir.path() / "s"));
  auto* inner = recorder.get();
  // A reuse time of zero: every listing is already too old when the next batch comes.
  auto store =
      ward::store::make_suffix_put_store(std::move(recorder), std::chrono::milliseconds(0));
  store->create();
  REQUIRE(store->put_if_absent("d/1", ward::testing::bytes_of("one")));
  REQUIRE(store->put_if_absent("d/2", ward::testing::bytes_of("two")));
  REQUIRE(store->list("").size() == 2);
  inner->listings.clear();
  const auto read = store->get_batch({"d/1", "d/2"});
  REQUIRE(inner->listings.size() == 1);
  REQUIRE(read[0].bytes == ward::testing::bytes_of("one"));
  REQUIRE(read[1].bytes == ward::testing::bytes_of("two"));
  inner->listings.clear();
  REQUIRE(store->put_batch({{"d/3", ward::testing::bytes_of("three")}}) == std::vector<bool>{true});
  REQUIRE(inner->listings.size() == 2);  // before the write and after it
}

TEST_CASE("the suffix-and-rule protocol gives put-if-absent on a backend that overwrites") {
  TempDir dir;
  auto store = ward::store::make_suffix_put_store(
      std::make_unique<OverwritingStoreStandIn>(ward::store::make_file_store(dir.path() / "s")));
  REQUIRE_FALSE(store->atomic_put_if_absent());
  ward::testing::check_object_store_conformance(*store);
}

TEST_CASE("readers and writers agree on the smallest candidate") {
  TempDir dir;
  auto inner = ward::store::make_file_store(dir.path() / "s");
  auto* raw = inner.get();
  auto store = ward::store::make_suffix_put_store(std::move(inner));
  store->create();
  // Two candidates left by racing writers: the smallest suffix is the object.
  REQUIRE(raw->put_if_absent("v/obj~00000000000000000002aa", ward::testing::bytes_of("later")));
  REQUIRE(raw->put_if_absent("v/obj~00000000000000000001bb", ward::testing::bytes_of("earlier")));
  REQUIRE(store->get("v/obj") == ward::testing::bytes_of("earlier"));
  REQUIRE(store->list("v/") == std::vector<std::string>{"v/obj"});
  REQUIRE_FALSE(store->put_if_absent("v/obj", ward::testing::bytes_of("third")));
  store->remove("v/obj");
  REQUIRE(raw->list("v/").empty());
  REQUIRE(ward::testing::error_code_of([&] { (void)store->get("v/x~y"); }) ==
          ward::ErrorCode::internal);
}
