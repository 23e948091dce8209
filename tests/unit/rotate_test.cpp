#include <catch2/catch.hpp>

#include "keyring_fixture.hpp"
#include "test_support.hpp"
#include "ward/crypto/random.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/rotate/ssh_key.hpp"
#include "ward/ssh/session.hpp"
#include "ward/store/file_store.hpp"
#include "ward/vault/vault.hpp"

namespace wk = ward::keyring;
namespace wv = ward::vault;
using ward::ErrorCode;
using ward::testing::error_code_of;
using ward::testing::TempDir;

namespace {

struct Fixture : ward::testing::KeyringFixture {
  wv::Vault vault{keyring->ns(std::string(wk::k_default_namespace))};

  void add(const std::string& name, const std::string& secret) {
    wv::CredentialVersion v;
    v.name = name;
    v.type = "postgres";
    v.fields = {{"host", "127.0.0.1"}, {"user", "app"}};
    v.secret_field = "password";
    v.secrets["password"] = ward::crypto::SecretBytes::from(secret);
    v.created = ward::util::format_time(ward::util::now());
    vault.add(std::move(v));
  }
  std::map<std::string, ward::crypto::SecretBytes> secret(const std::string& value) {
    std::map<std::string, ward::crypto::SecretBytes> out;
    out["password"] = ward::crypto::SecretBytes::from(value);
    return out;
  }
};

}  // namespace

TEST_CASE("a pending version holds the new secret while the old one stays current") {
  Fixture f;
  f.add("db", "old-secret");
  const auto pending = f.vault.begin_pending("db", f.secret("new-secret"), {}, "", "t", "h:1");
  REQUIRE(pending.version == 2);
  REQUIRE(pending.kind == wv::VersionKind::pending);
  REQUIRE(f.vault.read("db").secrets.at("password").reveal() == "old-secret");
  // A second rotation loses before it could touch a target.
  REQUIRE(error_code_of([&] {
            (void)f.vault.begin_pending("db", f.secret("other"), {}, "", "t", "h:2");
          }) == ErrorCode::conflict);
  REQUIRE(error_code_of([&] { (void)f.vault.rotate("db", f.secret("store-only"), {}, "", "t"); }) ==
          ErrorCode::conflict);

  const auto committed = f.vault.commit_pending("db", 2, "t", "2030-01-01T00:00:00Z");
  REQUIRE(committed.version == 3);
  REQUIRE(committed.current_version == 3);
  REQUIRE(committed.revoke_after.at(1) == "2030-01-01T00:00:00Z");
  REQUIRE(f.vault.read("db").secrets.at("password").reveal() == "new-secret");
  REQUIRE(f.vault.read("db", 1).secrets.at("password").reveal() == "old-secret");
  // The pending copy of the secret is gone; committing again finds the commit.
  REQUIRE(f.vault.versions("db") == std::vector<std::uint32_t>{1, 3});
  REQUIRE(f.vault.commit_pending("db", 2, "t", std::nullopt).version == 3);
  // Revoking the superseded version clears its grace entry.
  (void)f.vault.revoke("db", 1, false, "t");
  REQUIRE(f.vault.latest("db").revoke_after.empty());
}

TEST_CASE("a discarded pending version leaves the current one as it was") {
  Fixture f;
  f.add("db", "old-secret");
  (void)f.vault.begin_pending("db", f.secret("never-used"), {{"public_key", "x"}}, "", "t", "h:1");
  const auto marker = f.vault.discard_pending("db", 2, "t");
  REQUIRE(marker.kind == wv::VersionKind::revocation);
  REQUIRE(marker.current_version == 1);
  REQUIRE_FALSE(marker.fields.contains("public_key"));
  REQUIRE(f.vault.read("db").secrets.at("password").reveal() == "old-secret");
  REQUIRE(error_code_of([&] { (void)f.vault.read("db", 2); }) == ErrorCode::not_found);
  REQUIRE(error_code_of([&] { (void)f.vault.discard_pending("db", 2, "t"); }) ==
          ErrorCode::conflict);
  // The next rotation starts normally.
  REQUIRE(f.vault.begin_pending("db", f.secret("next"), {}, "", "t", "h:1").version == 4);
}

TEST_CASE("ssh keys generated for rotation are OpenSSH Ed25519 keys") {
  const auto pair = ward::rotate::generate_ed25519("ward-test");
  const auto text = pair.private_key.reveal();
  REQUIRE(text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
  REQUIRE(text.ends_with("-----END OPENSSH PRIVATE KEY-----\n"));
  REQUIRE(ward::ssh::private_key_type(text) == "ssh-ed25519");
  // The public half read back from the private key file is the one ward publishes.
  const auto line = ward::ssh::public_key_line(text);
  REQUIRE(pair.public_key == line + " ward-test");
  REQUIRE(line.starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
  REQUIRE(ward::rotate::generate_ed25519("x").public_key != pair.public_key);
}
