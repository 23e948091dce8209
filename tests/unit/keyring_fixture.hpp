#pragma once

#include <memory>

#include "test_support.hpp"
#include "ward/crypto/random.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/store/file_store.hpp"

namespace ward::testing {

// A random key file's unlock material, for a test that initialises a keyring on a store of
// its own.
inline keyring::UnlockMaterial random_key_file_unlock() {
  keyring::UnlockMaterial material;
  material.kind = keyring::UnlockMaterial::Kind::key_file;
  material.secret = crypto::random_secret(32);
  material.source = "test key";
  return material;
}

// A fresh file store in a temp directory, initialised with a random key file: what most tests
// of a part that keeps sealed objects need before they start.
struct KeyringFixture {
  TempDir dir;
  std::unique_ptr<store::ObjectStore> store = store::make_file_store(dir.path() / "store");
  keyring::UnlockMaterial unlock = random_key_file_unlock();
  std::unique_ptr<keyring::Keyring> keyring = keyring::Keyring::initialize(*store, unlock, {});
};

}  // namespace ward::testing
