#include <catch2/catch.hpp>

#include "ward/error.hpp"

TEST_CASE("error codes map to the exit-code contract") {
  ward::Error e(ward::ErrorCode::auth, "cannot unlock");
  REQUIRE(e.exit_code() == 4);
  REQUIRE(ward::Error(ward::ErrorCode::conflict, "x").exit_code() == 5);
}
