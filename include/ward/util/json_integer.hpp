#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace ward::util {

// Reads an integer from a JSON value that came from outside the process (a stored object, a
// lock file). nlohmann's get<T>() converts a JSON float to an integer with a plain cast, which
// is undefined behaviour when the value does not fit (fuzz_audit found `"uid": 1.1e36`). This
// accepts only JSON integers within T's range and otherwise throws the same json type_error the
// callers already turn into their "malformed" errors.
template <std::integral T>
[[nodiscard]] T json_integer(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (std::in_range<T>(number)) return static_cast<T>(number);
  } else if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    if (std::in_range<T>(number)) return static_cast<T>(number);
  }
  throw nlohmann::json::type_error::create(302, "expected an integer in range", &value);
}

}  // namespace ward::util
