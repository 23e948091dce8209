#pragma once

// An ObjectStore in memory, for fuzz targets that need a store around the parser they drive:
// no files, no network, so one input costs microseconds and leaves nothing behind.
#include <map>
#include <string>

#include "ward/store/object_store.hpp"

namespace ward::fuzz {

class MemoryStore final : public store::ObjectStore {
 public:
  std::map<std::string, store::Bytes> objects;

  [[nodiscard]] std::string url() const override { return "memory://fuzz"; }
  bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) override {
    return objects.emplace(name, store::Bytes(data.begin(), data.end())).second;
  }
  std::optional<store::Bytes> get(const std::string& name) override {
    const auto it = objects.find(name);
    if (it == objects.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> list(const std::string& prefix) override {
    std::vector<std::string> names;
    for (auto it = objects.lower_bound(prefix);
         it != objects.end() && it->first.starts_with(prefix); ++it) {
      names.push_back(it->first);
    }
    return names;
  }
  void remove(const std::string& name) override { objects.erase(name); }
  bool create() override { return objects.empty(); }
  bool exists() override { return true; }
};

}  // namespace ward::fuzz
