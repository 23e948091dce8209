#include <sys/stat.h>

#include <catch2/catch.hpp>
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

}  // namespace

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
