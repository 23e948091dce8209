#include <catch2/catch.hpp>

#include "keyring_fixture.hpp"
#include "ward/audit/log.hpp"
#include "ward/error.hpp"
#include "ward/util/duration.hpp"
#include "ward/vault/vault.hpp"
#include "ward/verify/store_verifier.hpp"

namespace wk = ward::keyring;
namespace wv = ward::vault;
using ward::ErrorCode;
using ward::testing::error_code_of;

namespace {

// Stands in for a process killed during `ns destroy`: every call reaches the real store until
// the budget of removals is spent, then the next removal throws, as if the process died there.
class InterruptedRemovalStore final : public ward::store::ObjectStore {
 public:
  InterruptedRemovalStore(ward::store::ObjectStore& inner, std::size_t removals_allowed)
      : m_inner(inner), m_left(removals_allowed) {}
  [[nodiscard]] std::string url() const override { return m_inner.url(); }
  bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) override {
    return m_inner.put_if_absent(name, data);
  }
  std::optional<ward::store::Bytes> get(const std::string& name) override {
    return m_inner.get(name);
  }
  std::vector<std::string> list(const std::string& prefix) override { return m_inner.list(prefix); }
  void remove(const std::string& name) override {
    if (m_left == 0) throw std::runtime_error("killed");
    --m_left;
    m_inner.remove(name);
  }
  bool create() override { return m_inner.create(); }
  bool exists() override { return m_inner.exists(); }
  [[nodiscard]] bool interrupted() const { return m_left == 0; }

 private:
  ward::store::ObjectStore& m_inner;
  std::size_t m_left;
};

wv::CredentialVersion draft(const std::string& name) {
  wv::CredentialVersion v;
  v.name = name;
  v.type = "generic";
  v.secret_field = "value";
  v.secrets["value"] = ward::crypto::random_secret(16);
  v.created = ward::util::format_time(ward::util::now());
  return v;
}

std::size_t objects_of(ward::store::ObjectStore& store, const std::string& id) {
  std::size_t count = store.list("keys/ns/" + id + "/").size();
  for (const auto& prefix : wk::Namespace::kek_wrapped_prefixes(id))
    count += store.list(prefix).size();
  return count;
}

bool verifies_clean(ward::testing::KeyringFixture& f, wk::Keyring& keys) {
  ward::audit::Log log(*f.store, keys.audit_key(), keys.config().store_id);
  const auto report = ward::verify::verify_store(keys, log);
  for (const auto& problem : report.problems) UNSCOPED_INFO("problem: " << problem);
  return report.problems.empty();
}

}  // namespace

TEST_CASE(
    "ns destroy interrupted after any removal leaves a namespace that is gone and can be "
    "destroyed again") {
  for (std::size_t allowed = 0;; ++allowed) {
    CAPTURE(allowed);
    ward::testing::KeyringFixture f;
    {
      auto& doomed = f.keyring->create_namespace("doomed");
      (void)doomed.rotate_kek();
      wv::Vault vault(doomed);
      for (const auto* name : {"a", "b", "c"}) vault.add(draft(name));
      wv::Vault(f.keyring->ns("default")).add(draft("kept"));
    }
    const auto id = f.keyring->namespace_id("doomed");

    InterruptedRemovalStore dying(*f.store, allowed);
    auto victim = wk::Keyring::open(dying, f.unlock);
    bool finished = true;
    try {
      (void)victim->destroy_namespace("doomed");
    } catch (const std::runtime_error&) {
      finished = false;
    }
    victim.reset();

    auto keys = wk::Keyring::open(*f.store, f.unlock);
    REQUIRE(keys->namespace_names() == std::vector<std::string>{"default"});
    REQUIRE(error_code_of([&] { (void)keys->ns("doomed"); }) == ErrorCode::not_found);
    REQUIRE(wv::Vault(keys->ns("default")).read("kept").secrets.at("value").size() == 16);
    REQUIRE(verifies_clean(f, *keys));
    // A new namespace of that name must wait until the old one is gone.
    if (!finished) {
      REQUIRE(keys->destroying_namespaces() == std::vector<std::string>{"doomed"});
      REQUIRE(error_code_of([&] { (void)keys->create_namespace("doomed"); }) ==
              ErrorCode::conflict);
      (void)keys->destroy_namespace("doomed");
    }
    REQUIRE(objects_of(*f.store, id) == 0);
    REQUIRE(keys->destroying_namespaces().empty());
    REQUIRE(error_code_of([&] { (void)keys->destroy_namespace("doomed"); }) ==
            ErrorCode::not_found);
    REQUIRE(verifies_clean(f, *keys));
    (void)keys->create_namespace("doomed");
    if (finished) break;
  }
}

TEST_CASE("a destroy marker names its own namespace only") {
  ward::testing::KeyringFixture f;
  (void)f.keyring->create_namespace("one");
  (void)f.keyring->create_namespace("two");
  const auto one = f.keyring->namespace_id("one");
  const auto two = f.keyring->namespace_id("two");
  InterruptedRemovalStore dying(*f.store, 0);
  auto victim = wk::Keyring::open(dying, f.unlock);
  REQUIRE_THROWS_AS(victim->destroy_namespace("one"), std::runtime_error);
  // Moving one's marker under two must not make two look destroyed by a reader.
  const auto marker = "keys/ns/" + one + "/destroying.g1";
  REQUIRE(f.store->put_if_absent("keys/ns/" + two + "/destroying.g1", *f.store->get(marker)));
  auto keys = wk::Keyring::open(*f.store, f.unlock);
  REQUIRE(error_code_of([&] { (void)keys->destroying_namespaces(); }) == ErrorCode::auth);
  REQUIRE_FALSE(verifies_clean(f, *keys));
}
