#include <catch2/catch.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "ward/audit/event.hpp"
#include "ward/error.hpp"
#include "ward/util/json_integer.hpp"

using ward::util::json_integer;

TEST_CASE("json_integer takes integers in range and refuses floats, strings and overflow") {
  CHECK(json_integer<std::uint32_t>(nlohmann::json(7)) == 7U);
  CHECK(json_integer<int>(nlohmann::json(-3)) == -3);
  CHECK(json_integer<std::uint64_t>(nlohmann::json(UINT64_MAX)) == UINT64_MAX);
  CHECK_THROWS_AS(json_integer<std::uint32_t>(nlohmann::json(-1)), nlohmann::json::type_error);
  CHECK_THROWS_AS(json_integer<std::uint32_t>(nlohmann::json(4294967296LL)),
                  nlohmann::json::type_error);
  CHECK_THROWS_AS(json_integer<std::uint32_t>(nlohmann::json(1.1e36)), nlohmann::json::type_error);
  CHECK_THROWS_AS(json_integer<int>(nlohmann::json(2.5)), nlohmann::json::type_error);
  CHECK_THROWS_AS(json_integer<int>(nlohmann::json("12")), nlohmann::json::type_error);
}

TEST_CASE("an audit event whose uid is a huge float is malformed, not undefined behaviour") {
  // The input fuzz_audit found: before, nlohmann cast 1.1e36 to uint32_t.
  const auto document = nlohmann::json::parse(
      R"({"seq":1,"time":"2026-12-01T00:00:00Z","actor":{"user":"u","host":"h","uid":1.1e36},)"
      R"("action":"a","namespace":"default","target":"","target_id":"","outcome":"ok",)"
      R"("code":0,"details":{},"prev":""})");
  try {
    (void)ward::audit::Event::from_json(document);
    FAIL("a malformed event was accepted");
  } catch (const ward::Error& error) {
    CHECK(error.code() == ward::ErrorCode::auth);
  }
}
