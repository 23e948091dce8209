#include "ward/util/duration.hpp"

#include <array>
#include <cstdint>
#include <ctime>
#include <limits>
#include <string>

#include "ward/error.hpp"

namespace ward::util {

namespace {

struct Unit {
  char symbol;
  std::int64_t seconds;
};

// Largest first: parse_duration requires this order, format_duration emits it. Weeks are
// accepted but never emitted, so "14d" reads as written in a policy.
constexpr std::array<Unit, 5> k_units = {
    {{'w', std::int64_t{7} * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

[[noreturn]] void bad_duration(std::string_view text) {
  fail(ErrorCode::usage,
       "invalid duration '" + std::string(text) + "': use forms like 30m, 12h, 14d, 2w");
}

[[noreturn]] void bad_time(std::string_view text) {
  fail(ErrorCode::usage, "invalid time '" + std::string(text) +
                             "': use forms like 2026-11-23T14:43:00Z or 2026-11-23");
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `width` digits at text[pos]; false if any is not a digit.
bool read_fixed(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (!is_digit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  constexpr std::array<int, 12> k_days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : k_days[static_cast<std::size_t>(month - 1)];
}

}  // namespace

std::chrono::seconds parse_duration(std::string_view text) {
  if (text.empty()) bad_duration(text);
  constexpr std::int64_t k_max = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into k_units of the smallest unit still allowed
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (!is_digit(text[pos])) bad_duration(text);  // also rejects signs and spaces
    std::int64_t value = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      const int digit = text[pos] - '0';
      if (value > (k_max - digit) / 10) bad_duration(text);
      value = value * 10 + digit;
      ++pos;
    }
    if (pos == text.size()) bad_duration(text);  // a number without a unit
    const char symbol = text[pos++];
    std::size_t u = next_unit;
    while (u < k_units.size() && k_units[u].symbol != symbol) ++u;
    // Unknown, repeated or out-of-order units ("30m1h") are more likely typos than intent.
    if (u == k_units.size()) bad_duration(text);
    next_unit = u + 1;
    const std::int64_t unit_seconds = k_units[u].seconds;
    if (value > k_max / unit_seconds) bad_duration(text);
    const std::int64_t part = value * unit_seconds;
    if (total > k_max - part) bad_duration(text);
    total += part;
  }
  return std::chrono::seconds(total);
}

std::string format_duration(std::chrono::seconds d) {
  const std::int64_t count = d.count();
  if (count == 0) return "0s";
  std::string out;
  // The magnitude is unsigned so that the most negative value negates without overflow.
  auto remaining = static_cast<std::uint64_t>(count);
  if (count < 0) {
    out.push_back('-');
    remaining = ~remaining + 1;
  }
  for (const Unit& unit : k_units) {
    if (unit.symbol == 'w') continue;
    const auto unit_seconds = static_cast<std::uint64_t>(unit.seconds);
    if (remaining >= unit_seconds) {
      out += std::to_string(remaining / unit_seconds);
      out.push_back(unit.symbol);
      remaining %= unit_seconds;
    }
  }
  return out;
}

TimePoint now() { return std::chrono::floor<std::chrono::seconds>(Clock::now()); }

PreciseTime precise_now() {
  const auto moment = Clock::now();
  const auto second = std::chrono::floor<std::chrono::seconds>(moment);
  return {second,
          static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(moment - second).count())};
}

std::string format_time(TimePoint t) {
  const std::time_t seconds = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) {
    fail(ErrorCode::internal, "time out of range");
  }
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (n == 0) {
    fail(ErrorCode::internal, "time out of range");
  }
  return {buf, n};
}

TimePoint parse_time(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!read_fixed(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
      !read_fixed(text, 5, 2, month) || text[7] != '-' || !read_fixed(text, 8, 2, day)) {
    bad_time(text);
  }
  if (text.size() != 10) {
    // RFC 3339 allows lowercase t and z.
    if (text.size() != 20 || (text[10] != 'T' && text[10] != 't') ||
        !read_fixed(text, 11, 2, hour) || text[13] != ':' || !read_fixed(text, 14, 2, minute) ||
        text[16] != ':' || !read_fixed(text, 17, 2, second) ||
        (text[19] != 'Z' && text[19] != 'z')) {
      bad_time(text);
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    bad_time(text);
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t seconds = timegm(&tm);
  return TimePoint(std::chrono::seconds(seconds));
}

}  // namespace ward::util
