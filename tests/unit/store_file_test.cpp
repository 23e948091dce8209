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
  (void)store->put_batch({{"x/z", ward::testing::bytes_of("1")}, {"x/y", ward::testing::bytes_of("2")}});
  REQUIRE(std::filesystem::is_empty(dir.path() / "store" / ".tmp"));
  struct stat st {};
  REQUIRE(::stat((dir.path() / "store").c_str(), &st) == 0);
  REQUIRE((st.st_mode & 0777) == 0700);
}

TEST_CASE("store URLs open the file backend or fail with a usage error") {
  TempDir dir;
  const auto url = "file://" + (dir.path() / "s").string();
  REQUIRE(ward::store::open_object_store(url)->url() == url);
  using ward::ErrorCode;
  using ward::testing::error_code_of;
  REQUIRE(error_code_of([] { (void)ward::store::open_object_store("file://relative/path"); }) == ErrorCode::usage);
  REQUIRE(error_code_of([] { (void)ward::store::open_object_store("gopher://x/y"); }) == ErrorCode::usage);
  REQUIRE(error_code_of([] { (void)ward::store::open_object_store(""); }) == ErrorCode::usage);
}
