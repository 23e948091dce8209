#include "ward/store/suffix_put_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
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
  [[nodiscard]] std::vector<std::string> warnings() const override { return m_inner->warnings(); }
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

  // The same protocol for many objects at once: one listing per directory before and after,
  // and the candidates written with the backend's own (parallel) batch.
  std::vector<bool> put_batch(const std::vector<PutRequest>& requests) override {
    std::map<std::string, std::set<std::string>> listed;
    const auto list_parents = [&] {
      listed.clear();
      for (const auto& request : requests) {
        check_logical(request.name);
        const auto parent = parent_prefix(request.name);
        if (!listed.contains(parent)) {
          const auto names = m_inner->list(parent);
          listed[parent] = {names.begin(), names.end()};
        }
      }
    };
    // The smallest candidate of `name` among the listed names, or "".
    const auto winner = [&](const std::string& name) {
      const auto stem = name + k_candidate_separator;
      const auto& names = listed[parent_prefix(name)];
      for (auto it = names.lower_bound(stem); it != names.end() && it->starts_with(stem); ++it) {
        if (it->find('/', stem.size()) == std::string::npos) return *it;
      }
      return std::string();
    };
    list_parents();
    std::vector<bool> written(requests.size(), false);
    std::vector<PutRequest> mine;
    std::vector<std::size_t> index;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (!winner(requests[i].name).empty() || !seen.insert(requests[i].name).second) continue;
      mine.push_back({requests[i].name + k_candidate_separator + new_suffix(), requests[i].data});
      index.push_back(i);
    }
    (void)m_inner->put_batch(mine);
    list_parents();
    std::vector<std::string> losers;
    for (std::size_t j = 0; j < mine.size(); ++j) {
      if (winner(requests[index[j]].name) == mine[j].name) {
        written[index[j]] = true;
      } else {
        losers.push_back(mine[j].name);
      }
    }
    m_inner->remove_batch(losers);
    return written;
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

  std::vector<std::string> list_starting_with(const std::string& stem) override {
    std::set<std::string> logical;
    for (const auto& name : m_inner->list_starting_with(stem))
      logical.insert(name.substr(0, name.rfind(k_candidate_separator)));
    std::erase_if(logical, [&](const std::string& name) { return !name.starts_with(stem); });
    return {logical.begin(), logical.end()};
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
    for (auto& physical : m_inner->list_starting_with(stem)) {
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
