#include "ward/store/suffix_put_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"

namespace ward::store {
namespace {

std::string parent_prefix(const std::string& name) {
  const auto slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash + 1);
}

std::string new_suffix() {
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%020lld", static_cast<long long>(nanos));
  return std::string(stamp) + crypto::hex_encode(crypto::random_bytes(6));
}

class SuffixPutStore final : public ObjectStore {
 public:
  explicit SuffixPutStore(std::unique_ptr<ObjectStore> inner) : m_inner(std::move(inner)) {}

  [[nodiscard]] std::string url() const override { return m_inner->url(); }
  [[nodiscard]] bool atomic_put_if_absent() const override { return false; }
  bool create() override { return m_inner->create(); }
  std::size_t remove_stale_temporaries(std::chrono::seconds older_than) override {
    return m_inner->remove_stale_temporaries(older_than);
  }
  bool exists() override { return m_inner->exists(); }

  bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) override {
    check_logical(name);
    if (!candidates(name).empty()) return false;
    const auto mine = name + k_candidate_separator + new_suffix();
    (void)m_inner->put_if_absent(mine, data);
    const auto present = candidates(name);
    if (!present.empty() && present.front() == mine) return true;
    m_inner->remove(mine);
    return false;
  }

  std::optional<Bytes> get(const std::string& name) override {
    check_logical(name);
    const auto present = candidates(name);
    if (present.empty()) return std::nullopt;
    return m_inner->get(present.front());
  }

  bool contains(const std::string& name) override {
    check_logical(name);
    return !candidates(name).empty();
  }

  std::vector<std::string> list(const std::string& prefix) override {
    std::set<std::string> logical;
    for (const auto& name : m_inner->list(prefix))
      logical.insert(name.substr(0, name.rfind(k_candidate_separator)));
    return {logical.begin(), logical.end()};
  }

  void remove(const std::string& name) override {
    check_logical(name);
    m_inner->remove_batch(candidates(name));
  }

  void remove_batch(const std::vector<std::string>& names) override {
    std::vector<std::string> physical;
    for (const auto& name : names) {
      check_logical(name);
      const auto present = candidates(name);
      physical.insert(physical.end(), present.begin(), present.end());
    }
    m_inner->remove_batch(physical);
  }

 private:
  static void check_logical(const std::string& name) {
    validate_object_name(name);
    if (name.find(k_candidate_separator) != std::string::npos) {
      fail(ErrorCode::internal, "object name '" + name + "' contains the candidate separator");
    }
  }

  // Physical candidates of one logical name, smallest suffix (the winner) first.
  std::vector<std::string> candidates(const std::string& name) {
    const auto stem = name + k_candidate_separator;
    std::vector<std::string> found;
    for (auto& physical : m_inner->list(parent_prefix(name))) {
      if (physical.starts_with(stem) && physical.find('/', stem.size()) == std::string::npos) {
        found.push_back(std::move(physical));
      }
    }
    std::sort(found.begin(), found.end());
    return found;
  }

  std::unique_ptr<ObjectStore> m_inner;
};

}  // namespace

std::unique_ptr<ObjectStore> make_suffix_put_store(std::unique_ptr<ObjectStore> inner) {
  return std::make_unique<SuffixPutStore>(std::move(inner));
}

}  // namespace ward::store
