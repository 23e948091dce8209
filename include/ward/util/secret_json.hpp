#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ward/crypto/secret.hpp"

namespace ward::util {

// A JSON value whose strings, containers and parser buffers live in secret memory (mlocked
// where permitted, cleansed when freed), for documents that carry secret values: `cred export
// --reveal` writes one, `cred import` reads one. nlohmann::json would leave every secret it
// parsed or dumped in ordinary heap blocks.
using SecretString = std::basic_string<char, std::char_traits<char>, crypto::SecureAllocator<char>>;
using SecretJson =
    nlohmann::basic_json<nlohmann::ordered_map, std::vector, SecretString, bool, std::int64_t,
                         std::uint64_t, double, crypto::SecureAllocator>;

}  // namespace ward::util
