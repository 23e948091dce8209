#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ward::keyring {

// Small objects are rewrapped by writing their next generation beside the old one
// (`creds/<ns>/<id>/v000003.g2`) and removing the old one after a sync, so a crash in between
// leaves two valid generations, never none.
std::string generation_name(std::string_view logical, std::uint32_t generation);

struct GenerationName {
  std::string logical;
  std::uint32_t generation = 0;
};
std::optional<GenerationName> parse_generation_name(std::string_view name);

// Logical path → its generations, newest first. Names without a generation suffix are ignored.
using GenerationMap = std::map<std::string, std::vector<std::uint32_t>>;
GenerationMap group_generations(const std::vector<std::string>& names);

// Zero-padded version numbers: v000003.
std::string version_name(std::uint32_t version);
std::optional<std::uint32_t> parse_version_name(std::string_view name);

}  // namespace ward::keyring
