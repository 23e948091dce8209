#include "ward/policy/policy.hpp"

#include <catch2/catch.hpp>

#include "keyring_fixture.hpp"
#include "test_support.hpp"
#include "ward/crypto/random.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/store/file_store.hpp"
#include "ward/vault/vault.hpp"

namespace wk = ward::keyring;
namespace wp = ward::policy;
namespace wv = ward::vault;
using ward::testing::TempDir;
using namespace std::chrono_literals;

namespace {

struct Fixture : ward::testing::KeyringFixture {
  void add(const std::string& name, std::optional<std::chrono::seconds> every) {
    wv::CredentialVersion v;
    v.name = name;
    v.type = "generic";
    v.secret_field = "password";
    v.secrets["password"] = ward::crypto::SecretBytes::from("an unguessable test secret");
    v.created = ward::util::format_time(ward::util::now());
    v.rotate_every = every;
    wv::Vault(keyring->ns(wk::k_default_namespace)).add(std::move(v));
  }
};

const wp::Item& find(const std::vector<wp::Item>& items, const std::string& subject) {
  for (const auto& i : items) {
    if (i.subject == subject) return i;
  }
  FAIL("no item for " << subject);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("policy: judge counts the window and the due time itself as late") {
  wp::Options o;
  o.now = ward::util::parse_time("2026-01-10T00:00:00Z");
  o.window = 24h * 14;
  REQUIRE(wp::judge(ward::util::parse_time("2026-01-10T00:00:00Z"), o).state == wp::State::overdue);
  REQUIRE(wp::judge(ward::util::parse_time("2026-01-24T00:00:00Z"), o).state == wp::State::due);
  REQUIRE(wp::judge(ward::util::parse_time("2026-01-24T00:00:01Z"), o).state == wp::State::ok);
  o.window = 0s;
  REQUIRE(wp::judge(ward::util::parse_time("2026-01-10T00:00:01Z"), o).state == wp::State::ok);
}

TEST_CASE("policy: credentials and keys are judged against their policies, worst first") {
  Fixture f;
  f.add("daily", 24h);
  f.add("quarterly", 24h * 90);
  f.add("unscheduled", std::nullopt);
  wp::Options o;
  o.now = ward::util::now() + 24h * 2;  // two days on: the daily one is overdue
  o.window = 24h * 14;
  auto items = wp::evaluate(*f.keyring, {}, o);
  REQUIRE(items.size() == 4);  // three credentials, one current KEK
  REQUIRE(items.front().subject == "daily");
  REQUIRE(items.front().state == wp::State::overdue);
  REQUIRE(find(items, "quarterly").state == wp::State::ok);
  REQUIRE(find(items, "unscheduled").state == wp::State::ok);
  REQUIRE_FALSE(find(items, "unscheduled").due_at);
  REQUIRE(find(items, "KEK v1").state == wp::State::ok);
  REQUIRE(wp::any_late(items));

  o.now = ward::util::now() + 24h * 80;  // the quarterly one and the KEK (90d) fall due
  items = wp::evaluate(*f.keyring, {}, o);
  REQUIRE(find(items, "quarterly").state == wp::State::due);
  REQUIRE(find(items, "KEK v1").state == wp::State::due);

  o.default_rotate_every = 24h * 30;  // a namespace default reaches the unscheduled one
  o.kinds = {"credential"};
  items = wp::evaluate(*f.keyring, {}, o);
  REQUIRE(items.size() == 3);
  REQUIRE(find(items, "unscheduled").state == wp::State::overdue);
}

TEST_CASE("policy: a revoked credential has nothing to rotate") {
  Fixture f;
  f.add("gone", 24h);
  wv::Vault(f.keyring->ns(wk::k_default_namespace)).revoke("gone", std::nullopt, false, "t");
  wp::Options o;
  o.now = ward::util::now() + 24h * 5;
  o.kinds = {"credential"};
  REQUIRE(wp::evaluate(*f.keyring, {}, o).empty());
}
