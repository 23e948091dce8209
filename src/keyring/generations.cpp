#include "ward/keyring/generations.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace ward::keyring {
namespace {

std::optional<std::uint32_t> parse_number(std::string_view digits) {
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string generation_name(std::string_view logical, std::uint32_t generation) {
  return std::string(logical) + ".g" + std::to_string(generation);
}

std::optional<GenerationName> parse_generation_name(std::string_view name) {
  const auto dot = name.rfind(".g");
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  const auto generation = parse_number(name.substr(dot + 2));
  if (!generation || *generation == 0) return std::nullopt;
  return GenerationName{std::string(name.substr(0, dot)), *generation};
}

GenerationMap group_generations(const std::vector<std::string>& names) {
  GenerationMap grouped;
  for (const auto& name : names) {
    if (auto parsed = parse_generation_name(name)) {
      grouped[parsed->logical].push_back(parsed->generation);
    }
  }
  for (auto& [logical, generations] : grouped) {
    std::sort(generations.begin(), generations.end(), std::greater<>());
  }
  return grouped;
}

std::string version_name(std::uint32_t version) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "v%06u", version);
  return buffer;
}

std::optional<std::uint32_t> parse_version_name(std::string_view name) {
  if (name.size() < 2 || name.front() != 'v') return std::nullopt;
  return parse_number(name.substr(1));
}

}  // namespace ward::keyring
