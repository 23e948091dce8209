#pragma once

// The behaviour every ObjectStore backend must show. A backend's test opens a fresh, empty
// store and calls check_object_store_conformance on it.
#include <catch2/catch.hpp>
#include <string>

#include "test_support.hpp"
#include "ward/store/object_store.hpp"

namespace ward::testing {

inline store::Bytes bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

inline void check_object_store_conformance(store::ObjectStore& store) {
  REQUIRE(store.create());
  REQUIRE(store.exists());

  // put-if-absent writes once and never overwrites.
  REQUIRE(store.put_if_absent("a/b/one", bytes_of("first")));
  REQUIRE_FALSE(store.put_if_absent("a/b/one", bytes_of("second")));
  REQUIRE(store.get("a/b/one") == bytes_of("first"));

  // Missing objects are nullopt, not errors.
  REQUIRE_FALSE(store.get("a/b/none").has_value());
  REQUIRE_FALSE(store.get("nowhere/at/all").has_value());

  // Empty objects are objects.
  REQUIRE(store.put_if_absent("empty", {}));
  REQUIRE(store.get("empty").has_value());
  REQUIRE(store.get("empty")->empty());

  // Listing is recursive, sorted and limited to the prefix.
  REQUIRE(store.put_if_absent("a/c", bytes_of("x")));
  REQUIRE(store.put_if_absent("b/z", bytes_of("y")));
  REQUIRE(store.list("a/") == std::vector<std::string>{"a/b/one", "a/c"});
  REQUIRE(store.list("a/b/") == std::vector<std::string>{"a/b/one"});
  REQUIRE(store.list("") == std::vector<std::string>{"a/b/one", "a/c", "b/z", "empty"});
  REQUIRE(store.list("missing/").empty());

  // Batches report, per object, whether it was written.
  const auto written =
      store.put_batch({{"c/1", bytes_of("1")}, {"a/c", bytes_of("clash")}, {"c/2", bytes_of("2")}});
  REQUIRE(written == std::vector<bool>{true, false, true});
  REQUIRE(store.get("a/c") == bytes_of("x"));
  REQUIRE(store.get("c/2") == bytes_of("2"));

  // Removal is idempotent.
  store.remove("c/1");
  store.remove("c/1");
  REQUIRE_FALSE(store.get("c/1").has_value());
  store.remove_batch({"c/2", "b/z", "never/was"});
  REQUIRE(store.list("") == std::vector<std::string>{"a/b/one", "a/c", "empty"});

  // A second create() on a store with objects says it is not empty.
  REQUIRE_FALSE(store.create());

  // Names that could escape the store are refused before any I/O.
  for (const auto* bad : {"../escape", "/absolute", "a//b", "a/./b", ".hidden", "trailing/", ""}) {
    INFO(bad);
    REQUIRE(error_code_of([&] { (void)store.put_if_absent(bad, bytes_of("x")); }) ==
            ErrorCode::internal);
  }
}

}  // namespace ward::testing
