#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ward::util {

// The string under `key` in a JSON document that came from outside the process, or `fallback`
// when the document is not an object, lacks the key or holds another type there. nlohmann's
// value(key, default) throws a type_error in those cases, which escaped the "malformed" checks
// that test a document's schema before their try blocks (fuzz_backup_format found
// `"schema":0` in a snapshot).
[[nodiscard]] inline std::string json_string_or(const nlohmann::json& document,
                                                std::string_view key,
                                                std::string_view fallback = {}) {
  if (!document.is_object()) return std::string(fallback);
  const auto it = document.find(key);
  if (it == document.end() || !it->is_string()) return std::string(fallback);
  return it->get<std::string>();
}

}  // namespace ward::util
