// The one duration syntax (`14d`, `1d12h`) and RFC 3339 times (src/util/duration.cpp): read from
// flags, config files, job specs and stored objects.
#include <cstdint>
#include <string_view>

#include "ward/error.hpp"
#include "ward/util/duration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto d = ward::util::parse_duration(text);
    if (d.count() < 0) __builtin_trap();
    // What format_duration writes, parse_duration reads back as the same duration.
    if (ward::util::parse_duration(ward::util::format_duration(d)) != d) __builtin_trap();
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::usage) __builtin_trap();
  }
  try {
    const auto t = ward::util::parse_time(text);
    (void)ward::util::format_time(t);
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::usage) __builtin_trap();
  }
  return 0;
}
