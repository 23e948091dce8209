#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ward/crypto/kdf.hpp"
#include "ward/crypto/secret.hpp"
#include "ward/crypto/signing.hpp"
#include "ward/keyring/envelope.hpp"
#include "ward/keyring/unlock.hpp"
#include "ward/store/object_store.hpp"
#include "ward/util/duration.hpp"

namespace ward::keyring {

inline constexpr std::string_view k_default_namespace = "default";

// The plaintext `config` object. Its digest is sealed inside the root keys, so a modified
// config is detected at unlock.
struct StoreConfig {
  std::string store_id;
  int format = 1;
  std::string created;
  bool atomic_put_if_absent = true;
  std::chrono::seconds kek_max_age{std::chrono::hours(24 * 90)};
  crypto::Argon2Params kdf;
  nlohmann::json document;
};

struct InitOptions {
  crypto::Argon2Params kdf;
  std::chrono::seconds kek_max_age{std::chrono::hours(24 * 90)};
};

struct UnlockEntryInfo {
  std::string id;
  std::string kind;  // "key-file" | "passphrase"
  std::string created;
  std::uint32_t master_serial = 0;
  bool used_now = false;  // the entry that unlocked this session
};

struct KekVersionInfo {
  std::uint32_t version = 0;
  util::TimePoint created;
  bool current = false;
};

struct RewrapResult {
  std::size_t examined = 0;
  std::size_t rewrapped = 0;
  std::size_t already_current = 0;
  std::uint32_t target_version = 0;
};

class Keyring;

// One tenant: its KEK chain and its never-rotated keys. Owned by the Keyring.
class Namespace {
 public:
  Namespace(Keyring& keyring, std::string name, std::string id, crypto::SecretBytes name_key,
            crypto::SecretBytes pseudonym_key, crypto::SecretBytes token_key);

  [[nodiscard]] const std::string& name() const { return m_name; }
  [[nodiscard]] const std::string& id() const { return m_id; }
  // The store-side id of a name inside this namespace (credential names): a keyed hash, so
  // the store never sees the name.
  [[nodiscard]] std::string object_id(std::string_view name) const;
  [[nodiscard]] const crypto::SecretBytes& pseudonym_key() const { return m_pseudonym_key; }
  [[nodiscard]] const crypto::SecretBytes& token_key() const { return m_token_key; }
  // A one-purpose key derived from the never-rotated name key (HKDF, `purpose` as info): stable
  // across KEK rotation, as the backup chunk-id key must be for deduplication to last.
  [[nodiscard]] crypto::SecretBytes derive_key(std::string_view purpose) const;
  [[nodiscard]] store::ObjectStore& store();

  [[nodiscard]] std::vector<KekVersionInfo> kek_versions();
  [[nodiscard]] std::uint32_t current_kek_version();

  // Seals an object under the current KEK.
  crypto::Bytes seal(ObjectType type, std::string_view path,
                     std::span<const std::uint8_t> plaintext);
  // Opens an object, resolving the KEK version from its header.
  crypto::SecretBytes open(ObjectType type, std::string_view path,
                           std::span<const std::uint8_t> bytes);

  // Adds a KEK version; new writes use it at once. Returns the new version.
  std::uint32_t rotate_kek();
  // Rewraps every KEK-wrapped object of this namespace under the current KEK version.
  RewrapResult rewrap();
  // Removes a KEK version; refuses while it is current or anything still uses it.
  void retire_kek(std::uint32_t version);
  // KEK version → how many objects' newest generation it wraps.
  std::map<std::uint32_t, std::size_t> kek_usage();

  // Prefixes of every object family wrapped by this namespace's KEKs.
  [[nodiscard]] std::vector<std::string> kek_wrapped_prefixes() const {
    return kek_wrapped_prefixes(m_id);
  }
  [[nodiscard]] static std::vector<std::string> kek_wrapped_prefixes(const std::string& id);
  // Prefixes of objects that belong to this namespace but are not envelopes (backup packs,
  // whose keys live in KEK-wrapped index objects; backup locks). Removed with the namespace.
  [[nodiscard]] std::vector<std::string> unwrapped_prefixes() const {
    return unwrapped_prefixes(m_id);
  }
  [[nodiscard]] static std::vector<std::string> unwrapped_prefixes(const std::string& id);

 private:
  friend class Keyring;
  const crypto::SecretBytes& kek(std::uint32_t version);
  void load_kek_list();

  Keyring& m_keyring;
  std::string m_name;
  std::string m_id;
  crypto::SecretBytes m_name_key;
  crypto::SecretBytes m_pseudonym_key;
  crypto::SecretBytes m_token_key;
  bool m_kek_list_loaded = false;
  std::map<std::uint32_t, std::vector<std::uint32_t>> m_kek_generations;  // version → gens
  std::map<std::uint32_t, crypto::SecretBytes> m_keks;
  std::map<std::uint32_t, util::TimePoint> m_kek_created;
};

// The unlocked key hierarchy of one store. Not movable: namespaces point back at it.
class Keyring {
 public:
  static std::unique_ptr<Keyring> initialize(store::ObjectStore& store,
                                             const UnlockMaterial& unlock,
                                             const InitOptions& options);
  static std::unique_ptr<Keyring> open(store::ObjectStore& store, const UnlockMaterial& unlock);
  // The two halves of open(): unwrap the master key (fails with Error(auth) for wrong
  // credentials), then load the root keys (fails with Error(auth) when the store is damaged).
  static std::unique_ptr<Keyring> unlock(store::ObjectStore& store, const UnlockMaterial& unlock);
  void load();
  // Reads and parses `config` without unlocking (for `store info` and error messages).
  static StoreConfig read_config(store::ObjectStore& store);

  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;
  ~Keyring();

  [[nodiscard]] store::ObjectStore& store() { return m_store; }
  [[nodiscard]] const StoreConfig& config() const { return m_config; }
  [[nodiscard]] std::uint32_t master_serial() const { return m_master_serial; }

  [[nodiscard]] std::string namespace_id(std::string_view name) const;
  Namespace& ns(std::string_view name);                // throws Error(not_found)
  Namespace& create_namespace(std::string_view name);  // throws Error(conflict) if it exists
  // Names of every namespace; ids of namespaces whose meta object does not authenticate go to
  // `unreadable` when given (otherwise such a namespace throws Error(auth)).
  [[nodiscard]] std::vector<std::string> namespace_names(
      std::vector<std::string>* unreadable = nullptr);
  // Crypto-shreds the namespace: a master-sealed marker first (the commit point: from then on
  // the namespace is gone), then its KEKs and keys, then its objects, then the marker. Run again
  // after an interruption, it finishes the job.
  std::size_t destroy_namespace(std::string_view name);
  // Names of namespaces whose destroy was interrupted (their marker is still in the store).
  [[nodiscard]] std::vector<std::string> destroying_namespaces();

  [[nodiscard]] const crypto::SecretBytes& audit_key() const { return m_audit_key; }
  [[nodiscard]] const crypto::SecretBytes& checkpoint_seed() const { return m_checkpoint_seed; }
  [[nodiscard]] const crypto::PublicKey& checkpoint_public_key() const {
    return m_checkpoint_public;
  }

  [[nodiscard]] std::vector<UnlockEntryInfo> unlock_entries();
  std::string add_unlock(const UnlockMaterial& unlock);
  void remove_unlock(std::string_view id);
  // Replaces the master key. Entries other than the one used now cannot be rewrapped (their
  // secrets are not here) and are removed; their ids are returned.
  std::vector<std::string> rotate_master(const UnlockMaterial& unlock);

  // Seals / opens objects wrapped directly by the master key.
  crypto::Bytes seal_with_master(ObjectType type, std::string_view path,
                                 std::span<const std::uint8_t> plaintext);
  // Opens the newest generation of `logical` that the master key authenticates.
  crypto::SecretBytes open_master_object(ObjectType type, const std::string& logical,
                                         const std::vector<std::uint32_t>& generations,
                                         std::uint32_t* generation_used = nullptr);

  // Writes the next generation of `logical` and returns its object name.
  bool put_generation(const std::string& logical, std::uint32_t generation,
                      const crypto::Bytes& bytes);

 private:
  Keyring(store::ObjectStore& store, StoreConfig config);
  void write_root_keys(std::uint32_t generation);
  std::string write_unlock_entry(const UnlockMaterial& unlock, const std::string& id,
                                 std::uint32_t generation);
  // The name sealed in namespace `id`'s destroy marker; Error(auth) unless it is that id's.
  std::string destroying_namespace_name(const std::string& id,
                                        const std::vector<std::uint32_t>& generations);

  store::ObjectStore& m_store;
  StoreConfig m_config;
  crypto::SecretBytes m_master_key;
  std::uint32_t m_master_serial = 0;
  std::string m_unlocked_by;  // unlock entry id
  crypto::SecretBytes m_names_key;
  crypto::SecretBytes m_audit_key;
  crypto::SecretBytes m_checkpoint_seed;
  crypto::PublicKey m_checkpoint_public{};
  std::map<std::string, std::unique_ptr<Namespace>, std::less<>> m_namespaces;
};

}  // namespace ward::keyring
