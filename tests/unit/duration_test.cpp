#include "ward/util/duration.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "ward/error.hpp"

using std::chrono::seconds;
namespace wu = ward::util;

namespace {

std::string duration_error(std::string_view text) {
  try {
    (void)wu::parse_duration(text);
  } catch (const ward::Error& e) {
    REQUIRE(e.code() == ward::ErrorCode::usage);
    return e.what();
  }
  FAIL("duration '" << text << "' was accepted");
  return {};
}

bool time_rejected(std::string_view text) {
  try {
    (void)wu::parse_time(text);
  } catch (const ward::Error& e) {
    return e.code() == ward::ErrorCode::usage;
  }
  return false;
}

}  // namespace

TEST_CASE("parse_duration accepts single and combined units") {
  REQUIRE(wu::parse_duration("45s") == seconds(45));
  REQUIRE(wu::parse_duration("30m") == seconds(1800));
  REQUIRE(wu::parse_duration("12h") == seconds(43200));
  REQUIRE(wu::parse_duration("14d") == seconds(1209600));
  REQUIRE(wu::parse_duration("90d") == seconds(7776000));
  REQUIRE(wu::parse_duration("2w") == seconds(1209600));
  REQUIRE(wu::parse_duration("1d12h") == seconds(129600));
  REQUIRE(wu::parse_duration("1w2d3h4m5s") == seconds(604800 + 172800 + 10800 + 240 + 5));
  REQUIRE(wu::parse_duration("0s") == seconds(0));
  REQUIRE(wu::parse_duration("007m") == seconds(420));
}

TEST_CASE("parse_duration rejects anything else with one message") {
  REQUIRE(duration_error("5x") == "invalid duration '5x': use forms like 30m, 12h, 14d, 2w");
  for (const char* bad : {"", "10", "d", "-5m", "+5m", "5 m", " 5m", "5m ", "1.5h", "5M", "5D",
                          "1h1d", "1d1d", "30m1h", "1d-2h", "5mm", "99999999999999999999s",
                          "15250284452472w", "9223372036854775807s1s"}) {
    INFO("'" << bad << "'");
    REQUIRE(duration_error(bad) ==
            "invalid duration '" + std::string(bad) + "': use forms like 30m, 12h, 14d, 2w");
  }
  // The largest representable duration still parses.
  REQUIRE(wu::parse_duration("9223372036854775807s").count() == 9223372036854775807);
}

TEST_CASE("format_duration uses the largest units, days at most") {
  REQUIRE(wu::format_duration(seconds(0)) == "0s");
  REQUIRE(wu::format_duration(seconds(45)) == "45s");
  REQUIRE(wu::format_duration(seconds(90)) == "1m30s");
  REQUIRE(wu::format_duration(seconds(3661)) == "1h1m1s");
  REQUIRE(wu::format_duration(seconds(129600)) == "1d12h");
  REQUIRE(wu::format_duration(seconds(1209600)) == "14d");
  REQUIRE(wu::format_duration(seconds(7776000)) == "90d");
  REQUIRE(wu::format_duration(seconds(86400 + 1)) == "1d1s");
  REQUIRE(wu::format_duration(seconds(-90)) == "-1m30s");
  REQUIRE(wu::format_duration(seconds(std::numeric_limits<std::int64_t>::min())) ==
          "-106751991167300d15h30m8s");
  for (const char* text : {"14d", "1d12h", "30m", "1h1m1s", "0s"}) {
    REQUIRE(wu::format_duration(wu::parse_duration(text)) == text);
  }
}

TEST_CASE("format_time and parse_time use RFC 3339 UTC") {
  const wu::TimePoint t{seconds(1795444980)};
  REQUIRE(wu::format_time(t) == "2026-11-23T14:43:00Z");
  REQUIRE(wu::parse_time("2026-11-23T14:43:00Z") == t);
  REQUIRE(wu::parse_time("2026-11-23t14:43:00z") == t);
  REQUIRE(wu::parse_time("2026-11-23") == wu::TimePoint{seconds(1795392000)});
  REQUIRE(wu::format_time(wu::TimePoint{seconds(0)}) == "1970-01-01T00:00:00Z");
  REQUIRE(wu::parse_time("1970-01-01T00:00:00Z") == wu::TimePoint{seconds(0)});
  REQUIRE(wu::parse_time("2024-02-29T23:59:59Z") == wu::TimePoint{seconds(1709251199)});
  REQUIRE(wu::format_time(wu::TimePoint{seconds(1709251199)}) == "2024-02-29T23:59:59Z");
}

TEST_CASE("parse_time rejects malformed and impossible times") {
  try {
    (void)wu::parse_time("yesterday");
    FAIL("no exception");
  } catch (const ward::Error& e) {
    REQUIRE(std::string(e.what()) ==
            "invalid time 'yesterday': use forms like 2026-11-23T14:43:00Z or 2026-11-23");
  }
  for (const char* bad :
       {"", "2026-11-2", "26-11-23", "2026/11/23", "2023-02-29", "2026-13-01", "2026-00-10",
        "2026-04-31", "2026-11-23T24:00:00Z", "2026-11-23T14:60:00Z", "2026-11-23T14:43:60Z",
        "2026-11-23 14:43:00Z", "2026-11-23T14:43:00", "2026-11-23T14:43:00+01:00",
        "2026-11-23T14:43Z", "2026-11-23X", "+026-11-23"}) {
    INFO("'" << bad << "'");
    REQUIRE(time_rejected(bad));
  }
}

TEST_CASE("now is whole seconds of the system clock") {
  const auto before = std::chrono::floor<seconds>(std::chrono::system_clock::now());
  const auto t = wu::now();
  const auto after = std::chrono::system_clock::now();
  REQUIRE(t >= before);
  REQUIRE(t <= after);
  REQUIRE(wu::parse_time(wu::format_time(t)) == t);
}

TEST_CASE("precise_now is the current second and the nanoseconds into it") {
  const auto before = std::chrono::system_clock::now();
  const auto t = wu::precise_now();
  const auto after = std::chrono::system_clock::now();
  REQUIRE(t.nanos < 1'000'000'000U);
  const auto moment = t.second + std::chrono::nanoseconds(t.nanos);
  REQUIRE(moment >= before);
  REQUIRE(moment <= after);
  for (int i = 0; i < 1000; ++i) REQUIRE(wu::precise_now().nanos < 1'000'000'000U);
}
