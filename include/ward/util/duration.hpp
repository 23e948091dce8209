#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace ward::util {

// One duration syntax everywhere: `30m`, `12h`, `14d`, `2w`, `90d`, `45s`, combinations like
// `1d12h`. Throws Error(usage) for anything else.
std::chrono::seconds parse_duration(std::string_view text);
std::string format_duration(std::chrono::seconds d);

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::seconds>;

TimePoint now();
// The current second and how far into it: for records whose times are whole seconds but whose
// order within one second matters (snapshots, run records).
struct PreciseTime {
  TimePoint second;
  std::uint32_t nanos = 0;
};
PreciseTime precise_now();
// RFC 3339 UTC, second precision: 2026-11-23T14:43:00Z
std::string format_time(TimePoint t);
TimePoint parse_time(std::string_view text);  // throws Error(usage)

}  // namespace ward::util
