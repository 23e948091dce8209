#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "ward/crypto/aead.hpp"
#include "ward/crypto/random.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/store/file_store.hpp"
#include "ward/vault/vault.hpp"

namespace wk = ward::keyring;
namespace wv = ward::vault;
using ward::ErrorCode;
using ward::testing::error_code_of;
using ward::testing::TempDir;

namespace {

wk::UnlockMaterial key_material() {
  wk::UnlockMaterial material;
  material.kind = wk::UnlockMaterial::Kind::key_file;
  material.secret = ward::crypto::random_secret(32);
  material.source = "test key";
  return material;
}

wv::CredentialVersion draft(const std::string& name, const std::string& secret) {
  wv::CredentialVersion v;
  v.name = name;
  v.type = "postgres";
  v.fields = {{"host", "127.0.0.1"}, {"user", "app"}};
  v.secret_field = "password";
  v.secrets["password"] = ward::crypto::SecretBytes::from(secret);
  v.created = ward::util::format_time(ward::util::now());
  return v;
}

struct Fixture {
  TempDir dir;
  std::unique_ptr<ward::store::ObjectStore> store =
      ward::store::make_file_store(dir.path() / "store");
  wk::UnlockMaterial unlock = key_material();
  std::unique_ptr<wk::Keyring> keyring = wk::Keyring::initialize(*store, unlock, {});
};

}  // namespace

TEST_CASE("a store opens with its key and refuses any other") {
  Fixture f;
  const auto id = f.keyring->config().store_id;
  auto reopened = wk::Keyring::open(*f.store, f.unlock);
  REQUIRE(reopened->config().store_id == id);
  REQUIRE(error_code_of([&] { (void)wk::Keyring::open(*f.store, key_material()); }) ==
          ErrorCode::auth);
  wk::UnlockMaterial passphrase;
  passphrase.kind = wk::UnlockMaterial::Kind::passphrase;
  passphrase.secret = ward::crypto::SecretBytes::from("not the key");
  REQUIRE(error_code_of([&] { (void)wk::Keyring::open(*f.store, passphrase); }) == ErrorCode::auth);
}

TEST_CASE("a config object of the wrong shape is refused as malformed, never an internal error") {
  Fixture f;
  for (const std::string config :
       {"{\"schema\":0}", "[\"ward.config/v1\"]", "{\"schema\":{\"a\":1}}", "not json"}) {
    CAPTURE(config);
    f.store->remove("config");
    REQUIRE(f.store->put_if_absent("config", ward::crypto::as_bytes(config)));
    CHECK(error_code_of([&] { (void)wk::Keyring::read_config(*f.store); }) == ErrorCode::auth);
  }
}

TEST_CASE("credentials: versions, rotation, revocation") {
  Fixture f;
  wv::Vault vault(f.keyring->ns("default"));
  vault.add(draft("db/prod", "first-secret"));
  REQUIRE(vault.read("db/prod").secrets.at("password").reveal() == "first-secret");
  REQUIRE(error_code_of([&] { vault.add(draft("db/prod", "again")); }) == ErrorCode::conflict);

  std::map<std::string, ward::crypto::SecretBytes> secrets;
  secrets["password"] = ward::crypto::SecretBytes::from("second-secret");
  const auto rotated =
      vault.rotate("db/prod", std::move(secrets), {{"port", "5433"}}, "", "tester");
  REQUIRE(rotated.version == 2);
  REQUIRE(vault.read("db/prod").secrets.at("password").reveal() == "second-secret");
  REQUIRE(vault.read("db/prod").fields.at("port") == "5433");
  REQUIRE(vault.read("db/prod", 1).secrets.at("password").reveal() == "first-secret");

  const auto revoked = vault.revoke("db/prod", 1U, false, "tester");
  REQUIRE(revoked.revoked == std::vector<std::uint32_t>{1});
  REQUIRE(error_code_of([&] { (void)vault.read("db/prod", 1); }) == ErrorCode::not_found);
  REQUIRE(vault.read("db/prod").version == 2);

  (void)vault.revoke("db/prod", std::nullopt, true, "tester");
  REQUIRE(error_code_of([&] { (void)vault.read("db/prod"); }) == ErrorCode::not_found);
  // Only the revocation markers are left; revoking again changes nothing.
  REQUIRE(vault.versions("db/prod") == std::vector<std::uint32_t>{3, 4});
  REQUIRE(vault.revoke("db/prod", std::nullopt, true, "tester").marker_version == 0);
  REQUIRE(vault.versions("db/prod") == std::vector<std::uint32_t>{3, 4});
  REQUIRE(error_code_of([&] { (void)vault.read("nope"); }) == ErrorCode::not_found);
}

TEST_CASE("listing reads one object per credential and reports state") {
  Fixture f;
  wv::Vault vault(f.keyring->ns("default"));
  for (int i = 0; i < 20; ++i)
    vault.add(draft("c" + std::to_string(i), "secret-" + std::to_string(i)));
  (void)vault.revoke("c3", std::nullopt, false, "t");
  const auto items = vault.list();
  REQUIRE(items.size() == 20);
  const auto c3 =
      std::find_if(items.begin(), items.end(), [](const auto& s) { return s.name == "c3"; });
  REQUIRE(c3 != items.end());
  REQUIRE(c3->current_version == 0);
  REQUIRE(c3->latest_version == 2);
}

TEST_CASE("rotate, rewrap and retire keep every credential readable") {
  Fixture f;
  auto& ns = f.keyring->ns("default");
  wv::Vault vault(ns);
  for (int i = 0; i < 10; ++i) vault.add(draft("c" + std::to_string(i), "s" + std::to_string(i)));
  REQUIRE(ns.rotate_kek() == 2);
  REQUIRE(error_code_of([&] { ns.retire_kek(1); }) == ErrorCode::conflict);  // still in use
  const auto result = ns.rewrap();
  REQUIRE(result.rewrapped == 10);
  REQUIRE(ns.kek_usage() == std::map<std::uint32_t, std::size_t>{{2, 10}});
  ns.retire_kek(1);
  REQUIRE(error_code_of([&] { ns.retire_kek(2); }) == ErrorCode::conflict);  // current
  auto reopened = wk::Keyring::open(*f.store, f.unlock);
  wv::Vault again(reopened->ns("default"));
  for (int i = 0; i < 10; ++i) {
    REQUIRE(again.read("c" + std::to_string(i)).secrets.at("password").reveal() ==
            "s" + std::to_string(i));
  }
  // No generation of a rewrapped object is left behind.
  REQUIRE(f.store->list("creds/").size() == 10);
}

TEST_CASE("master key rotation keeps the store readable with the same unlock entry") {
  Fixture f;
  wv::Vault(f.keyring->ns("default")).add(draft("x", "value-x"));
  const auto other = key_material();
  const auto other_id = f.keyring->add_unlock(other);
  const auto removed = f.keyring->rotate_master(f.unlock);
  REQUIRE(removed == std::vector<std::string>{other_id});
  auto reopened = wk::Keyring::open(*f.store, f.unlock);
  REQUIRE(reopened->master_serial() == 2);
  REQUIRE(wv::Vault(reopened->ns("default")).read("x").secrets.at("password").reveal() ==
          "value-x");
  REQUIRE(error_code_of([&] { (void)wk::Keyring::open(*f.store, other); }) == ErrorCode::auth);
}

TEST_CASE("a namespace's objects cannot be read with another namespace's keys") {
  Fixture f;
  auto& tenant = f.keyring->create_namespace("tenant-a");
  wv::Vault(tenant).add(draft("shared-name", "tenant-secret"));
  auto& other = f.keyring->ns("default");
  const auto objects = f.store->list("creds/" + tenant.id() + "/");
  REQUIRE(objects.size() == 1);
  const auto bytes = f.store->get(objects.front());
  const auto logical = objects.front().substr(0, objects.front().rfind(".g"));
  REQUIRE(error_code_of([&] { (void)other.open(wk::ObjectType::credential, logical, *bytes); }) ==
          ErrorCode::auth);
  REQUIRE(error_code_of([&] { (void)wv::Vault(other).read("shared-name"); }) ==
          ErrorCode::not_found);
  REQUIRE(tenant.id() != other.id());
  REQUIRE(tenant.object_id("shared-name") != other.object_id("shared-name"));
}
