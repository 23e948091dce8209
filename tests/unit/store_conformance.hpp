#pragma once

// The behaviour every ObjectStore backend must show. A backend's test opens a fresh, empty
// store and calls check_object_store_conformance on it.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
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

  // A range of a listing: strictly between its bounds, an empty bound open.
  const auto names_between = [&](const std::string& stem, const std::string& after,
                                 const std::string& before) {
    std::vector<std::string> names;
    for (const auto& entry : store.list_entries_between(stem, after, before))
      names.push_back(entry.name);
    return names;
  };
  for (const auto* name : {"r/1", "r/2", "r/20", "r/3", "r/4"})
    REQUIRE(store.put_if_absent(name, bytes_of(name)));
  REQUIRE(names_between("r/", "r/1", "r/4") == std::vector<std::string>{"r/2", "r/20", "r/3"});
  REQUIRE(names_between("r/", "r/2", "") == std::vector<std::string>{"r/20", "r/3", "r/4"});
  REQUIRE(names_between("r/", "", "r/20") == std::vector<std::string>{"r/1", "r/2"});
  REQUIRE(names_between("r/2", "r/1", "r/3") == std::vector<std::string>{"r/2", "r/20"});
  REQUIRE(names_between("r/", "r/4", "").empty());
  store.remove_batch({"r/1", "r/2", "r/20", "r/3", "r/4"});

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

// For a backend whose temporary files this process can reach as `temp_dir` (the file store,
// and the SFTP store on the loopback sshd): a killed writer's leftovers go once they are at
// least the given age, a fresh one stays under any positive age, 0 s clears even a file of
// this very second (file times may be whole seconds), and other names are never touched.
inline void check_stale_temporaries_removed(store::ObjectStore& store,
                                            const std::filesystem::path& temp_dir) {
  namespace fs = std::filesystem;
  fs::create_directories(temp_dir);
  const auto plant = [&](const std::string& leaf) {
    std::ofstream(temp_dir / leaf) << "left by a killed writer";
    return temp_dir / leaf;
  };
  const auto old = plant("0123456789abcdef01234567.tmp");
  fs::last_write_time(old, fs::last_write_time(old) - std::chrono::hours(2));
  const auto fresh = plant("89abcdef0123456789abcdef.tmp");
  const auto other = plant("not-a-temporary");

  REQUIRE(store.remove_stale_temporaries(std::chrono::hours(1)) == 1);
  REQUIRE_FALSE(fs::exists(old));
  REQUIRE(fs::exists(fresh));
  REQUIRE(store.remove_stale_temporaries(std::chrono::seconds(0)) == 1);
  REQUIRE_FALSE(fs::exists(fresh));
  REQUIRE(fs::exists(other));
  fs::remove(other);
}

}  // namespace ward::testing
