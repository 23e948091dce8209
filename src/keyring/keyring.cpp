#include "ward/keyring/keyring.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "key_bundle.hpp"
#include "ward/crypto/aead.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/hash.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"
#include "ward/keyring/generations.hpp"
#include "ward/util/json_integer.hpp"
#include "ward/util/json_string.hpp"

namespace ward::keyring {
namespace {

using nlohmann::json;

constexpr std::string_view k_config_name = "config";
constexpr std::string_view k_unlock_prefix = "keys/unlock/";
constexpr std::string_view k_root_logical = "keys/root/store";
constexpr std::string_view k_ns_prefix = "keys/ns/";
constexpr std::size_t k_id_length = 26;
constexpr std::size_t k_batch_size = 2048;

std::string keyed_id(const crypto::SecretBytes& key, std::string_view domain,
                     std::string_view name) {
  std::string message(domain);
  message.push_back('\0');
  message.append(name);
  const auto mac = crypto::hmac_sha256(key.bytes(), crypto::as_bytes(message));
  return crypto::base32_encode(mac).substr(0, k_id_length);
}

std::string ns_logical_meta(const std::string& ns_id) {
  return std::string(k_ns_prefix) + ns_id + "/meta";
}
std::string ns_kek_prefix(const std::string& ns_id) {
  return std::string(k_ns_prefix) + ns_id + "/kek/";
}
// Written by `ns destroy` before it removes anything: from then on the namespace is gone to every
// reader, and the objects left by an interrupted destroy are known to be its leftovers (the
// marker authenticates under the master key, so nobody can make deleted keys look destroyed).
std::string ns_logical_tombstone(const std::string& ns_id) {
  return std::string(k_ns_prefix) + ns_id + "/destroying";
}

std::vector<std::uint8_t> to_vector(std::string_view s) { return {s.begin(), s.end()}; }

crypto::SecretBytes derive_unlock_key(const UnlockMaterial& unlock, const json& kdf) {
  const auto salt = crypto::base64_decode(kdf.at("salt").get<std::string>());
  if (!salt) fail(ErrorCode::auth, "unlock entry has a malformed salt");
  if (unlock.kind == UnlockMaterial::Kind::key_file) {
    return crypto::hkdf_sha256(unlock.secret.bytes(), *salt,
                               crypto::as_bytes("ward unlock key-file v1"), crypto::k_key_size);
  }
  crypto::Argon2Params params;
  params.memory_kib = util::json_integer<std::uint32_t>(kdf.at("memory_kib"));
  params.iterations = util::json_integer<std::uint32_t>(kdf.at("iterations"));
  params.parallelism = util::json_integer<std::uint32_t>(kdf.at("parallelism"));
  return crypto::argon2id(unlock.secret, *salt, params);
}

std::string_view kind_name(UnlockMaterial::Kind kind) {
  return kind == UnlockMaterial::Kind::key_file ? "key-file" : "passphrase";
}

// Every field but the wrapped key itself is authenticated.
json entry_aad_document(const json& entry) {
  auto document = entry;
  document.erase("wrapped_master");
  return document;
}

// Entries are stored in canonical form (sorted keys, compact, one newline), so any change to
// their bytes, even whitespace, is a change to the authenticated document or is refused.
std::string canonical_entry(const json& entry) { return entry.dump() + "\n"; }

std::vector<std::uint8_t> entry_aad(const json& entry) {
  return to_vector("ward.unlock.v1" + entry_aad_document(entry).dump());
}

std::optional<json> parse_json_object(std::span<const std::uint8_t> bytes) {
  auto parsed = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Namespace

Namespace::Namespace(Keyring& keyring, std::string name, std::string id,
                     crypto::SecretBytes name_key, crypto::SecretBytes pseudonym_key,
                     crypto::SecretBytes token_key)
    : m_keyring(keyring),
      m_name(std::move(name)),
      m_id(std::move(id)),
      m_name_key(std::move(name_key)),
      m_pseudonym_key(std::move(pseudonym_key)),
      m_token_key(std::move(token_key)) {}

std::string Namespace::object_id(std::string_view name) const {
  return keyed_id(m_name_key, "ward.name.v1", name);
}

store::ObjectStore& Namespace::store() { return m_keyring.store(); }

std::vector<std::string> Namespace::kek_wrapped_prefixes(const std::string& id) {
  return {"creds/" + id + "/",
          "backups/" + id + "/index/",
          "backups/" + id + "/snapshots/",
          "backups/" + id + "/sources/",
          "backups/" + id + "/verifications/",
          "checks/" + id + "/",
          "redact/" + id + "/",
          "reports/" + id + "/"};
}

std::vector<std::string> Namespace::unwrapped_prefixes(const std::string& id) {
  return {"backups/" + id + "/data/", "backups/" + id + "/locks/", "rotation/" + id + "/"};
}

crypto::SecretBytes Namespace::derive_key(std::string_view purpose) const {
  return crypto::hkdf_sha256(m_name_key.bytes(), {}, crypto::as_bytes(purpose), crypto::k_key_size);
}

void Namespace::load_kek_list() {
  if (m_kek_list_loaded) return;
  m_kek_generations.clear();
  const auto prefix = ns_kek_prefix(m_id);
  for (auto& [logical, generations] : group_generations(m_keyring.store().list(prefix))) {
    if (auto version = parse_version_name(std::string_view(logical).substr(prefix.size()))) {
      m_kek_generations[*version] = generations;
    }
  }
  if (m_kek_generations.empty()) {
    fail(ErrorCode::auth, "namespace '" + m_name + "' has no key-encryption key",
         "the store is damaged; run `ward store verify`");
  }
  m_kek_list_loaded = true;
}

const crypto::SecretBytes& Namespace::kek(std::uint32_t version) {
  if (auto found = m_keks.find(version); found != m_keks.end()) return found->second;
  load_kek_list();
  const auto generations = m_kek_generations.find(version);
  if (generations == m_kek_generations.end()) {
    fail(ErrorCode::auth, "key-encryption key version " + std::to_string(version) +
                              " of namespace '" + m_name + "' does not exist (retired?)");
  }
  const auto logical = ns_kek_prefix(m_id) + version_name(version);
  const auto plaintext =
      m_keyring.open_master_object(ObjectType::kek, logical, generations->second);
  auto bundle = KeyBundle::unpack(plaintext, 1);
  m_kek_created[version] = util::parse_time(bundle.metadata.at("created").get<std::string>());
  return m_keks.emplace(version, std::move(bundle.keys[0])).first->second;
}

std::uint32_t Namespace::current_kek_version() {
  load_kek_list();
  return m_kek_generations.rbegin()->first;
}

std::vector<KekVersionInfo> Namespace::kek_versions() {
  load_kek_list();
  std::vector<KekVersionInfo> versions;
  const auto current = current_kek_version();
  for (const auto& [version, generations] : m_kek_generations) {
    (void)kek(version);
    versions.push_back({version, m_kek_created.at(version), version == current});
  }
  return versions;
}

crypto::Bytes Namespace::seal(ObjectType type, std::string_view path,
                              std::span<const std::uint8_t> plaintext) {
  const auto version = current_kek_version();
  return seal_object(kek(version), WrapKind::kek, version, type, path, plaintext);
}

crypto::SecretBytes Namespace::open(ObjectType type, std::string_view path,
                                    std::span<const std::uint8_t> bytes) {
  try {
    const auto envelope = parse_envelope(bytes);
    if (envelope.header.wrap_kind != WrapKind::kek) {
      fail(ErrorCode::auth, "object has an unexpected wrapping");
    }
    return open_object(kek(envelope.header.wrap_version), envelope, type, path);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::auth || std::string_view(e.what()).starts_with("object ")) throw;
    fail(ErrorCode::auth, "object " + std::string(path) + " failed authentication: " + e.what(),
         "the store is damaged or was tampered with; run `ward store verify`");
  }
}

std::uint32_t Namespace::rotate_kek() {
  load_kek_list();
  const auto version = current_kek_version() + 1;
  auto key = crypto::random_secret(crypto::k_key_size);
  const auto created = util::now();
  const auto logical = ns_kek_prefix(m_id) + version_name(version);
  const auto plaintext =
      KeyBundle::pack({&key}, json{{"version", version}, {"created", util::format_time(created)}});
  if (!m_keyring.put_generation(
          logical, 1, m_keyring.seal_with_master(ObjectType::kek, logical, plaintext.bytes()))) {
    fail(ErrorCode::conflict,
         "another process rotated the key of namespace '" + m_name + "' at the same time",
         "run `ward key status` and retry if needed");
  }
  m_kek_generations[version] = {1};
  m_kek_created[version] = created;
  m_keks.emplace(version, std::move(key));
  return version;
}

std::map<std::uint32_t, std::size_t> Namespace::kek_usage() {
  std::map<std::uint32_t, std::size_t> usage;
  auto& store = m_keyring.store();
  for (const auto& prefix : kek_wrapped_prefixes()) {
    for (const auto& [logical, generations] : group_generations(store.list(prefix))) {
      const auto bytes = store.get(generation_name(logical, generations.front()));
      if (!bytes) continue;
      const auto envelope = parse_envelope(*bytes);
      ++usage[envelope.header.wrap_version];
    }
  }
  return usage;
}

RewrapResult Namespace::rewrap() {
  RewrapResult result;
  result.target_version = current_kek_version();
  const auto& target_key = kek(result.target_version);
  auto& store = m_keyring.store();
  std::vector<store::ObjectStore::PutRequest> batch;
  std::vector<std::string> superseded;
  const auto flush = [&] {
    if (batch.empty()) return;
    store.put_batch(batch);  // a name that already exists was written by a concurrent rewrap
    batch.clear();
  };
  for (const auto& prefix : kek_wrapped_prefixes()) {
    for (const auto& [logical, generations] : group_generations(store.list(prefix))) {
      ++result.examined;
      const auto newest = generations.front();
      const auto bytes = store.get(generation_name(logical, newest));
      if (!bytes) continue;
      const auto envelope = parse_envelope(*bytes);
      const auto type = envelope.header.type;
      if (envelope.header.wrap_version == result.target_version) {
        ++result.already_current;
      } else {
        auto rewrapped = rewrap_object(kek(envelope.header.wrap_version), target_key, WrapKind::kek,
                                       result.target_version, envelope, type, logical);
        batch.push_back({generation_name(logical, newest + 1), std::move(rewrapped)});
        superseded.push_back(generation_name(logical, newest));
        ++result.rewrapped;
        if (batch.size() >= k_batch_size) flush();
      }
      // Older generations left by an interrupted rewrap are superseded too.
      for (std::size_t i = 1; i < generations.size(); ++i) {
        superseded.push_back(generation_name(logical, generations[i]));
      }
    }
  }
  flush();
  store.remove_batch(superseded);
  return result;
}

void Namespace::retire_kek(std::uint32_t version) {
  load_kek_list();
  if (!m_kek_generations.contains(version)) {
    fail(ErrorCode::not_found,
         "namespace '" + m_name + "' has no key version " + std::to_string(version));
  }
  if (version == current_kek_version()) {
    fail(ErrorCode::conflict, "key version " + std::to_string(version) + " is the current version",
         "rotate first: `ward key rotate`, then `ward key rewrap`");
  }
  std::size_t users = 0;
  auto& store = m_keyring.store();
  for (const auto& prefix : kek_wrapped_prefixes()) {
    for (const auto& name : store.list(prefix)) {
      const auto bytes = store.get(name);
      if (bytes && parse_envelope(*bytes).header.wrap_version == version) ++users;
    }
  }
  if (users > 0) {
    fail(ErrorCode::conflict,
         "key version " + std::to_string(version) + " still wraps " + std::to_string(users) +
             " object(s)",
         "run `ward key rewrap` first");
  }
  std::vector<std::string> names;
  for (const auto generation : m_kek_generations.at(version)) {
    names.push_back(generation_name(ns_kek_prefix(m_id) + version_name(version), generation));
  }
  store.remove_batch(names);
  m_kek_generations.erase(version);
  m_keks.erase(version);
}

// ---------------------------------------------------------------------------------------------
// Keyring

Keyring::Keyring(store::ObjectStore& store, StoreConfig config)
    : m_store(store), m_config(std::move(config)) {}

Keyring::~Keyring() = default;

StoreConfig Keyring::read_config(store::ObjectStore& store) {
  const auto bytes = store.get(std::string(k_config_name));
  if (!bytes) {
    fail(ErrorCode::not_found, "no ward store at " + store.url(),
         "create one with `ward init`, or point --store / WARD_STORE at an existing store");
  }
  const auto document = parse_json_object(*bytes);
  if (!document || util::json_string_or(*document, "schema") != "ward.config/v1") {
    fail(ErrorCode::auth, "the config object of store " + store.url() + " is malformed");
  }
  StoreConfig config;
  try {
    config.document = *document;
    config.store_id = document->at("store_id").get<std::string>();
    config.format = util::json_integer<int>(document->at("format"));
    config.created = document->at("created").get<std::string>();
    config.atomic_put_if_absent = document->at("put_if_absent").get<std::string>() == "atomic";
    config.kek_max_age = util::parse_duration(document->at("kek_max_age").get<std::string>());
    const auto& kdf = document->at("kdf");
    config.kdf.memory_kib = util::json_integer<std::uint32_t>(kdf.at("memory_kib"));
    config.kdf.iterations = util::json_integer<std::uint32_t>(kdf.at("iterations"));
    config.kdf.parallelism = util::json_integer<std::uint32_t>(kdf.at("parallelism"));
  } catch (const json::exception&) {
    fail(ErrorCode::auth, "the config object of store " + store.url() + " is malformed");
  }
  if (config.format != 1) {
    fail(ErrorCode::usage,
         "store " + store.url() + " has format " + std::to_string(config.format) +
             ", which this ward does not know",
         "upgrade ward");
  }
  return config;
}

std::unique_ptr<Keyring> Keyring::initialize(store::ObjectStore& store,
                                             const UnlockMaterial& unlock,
                                             const InitOptions& options) {
  store.create();
  if (store.get(std::string(k_config_name))) {
    fail(ErrorCode::conflict, "a ward store already exists at " + store.url());
  }
  if (!store.list("keys/").empty()) {
    fail(ErrorCode::conflict, store.url() + " holds a partial store from an interrupted init",
         "remove the directory and run `ward init` again");
  }
  StoreConfig config;
  config.store_id = crypto::base32_encode(crypto::random_bytes(16)).substr(0, k_id_length);
  config.created = util::format_time(util::now());
  config.atomic_put_if_absent = store.atomic_put_if_absent();
  config.kek_max_age = options.kek_max_age;
  config.kdf = options.kdf;
  config.document = json{{"schema", "ward.config/v1"},
                         {"format", 1},
                         {"store_id", config.store_id},
                         {"created", config.created},
                         {"put_if_absent", config.atomic_put_if_absent ? "atomic" : "suffix"},
                         {"kek_max_age", util::format_duration(config.kek_max_age)},
                         {"kdf",
                          {{"alg", "argon2id"},
                           {"memory_kib", config.kdf.memory_kib},
                           {"iterations", config.kdf.iterations},
                           {"parallelism", config.kdf.parallelism}}}};

  std::unique_ptr<Keyring> keyring(new Keyring(store, config));  // NOLINT: private constructor
  keyring->m_master_key = crypto::random_secret(crypto::k_key_size);
  keyring->m_master_serial = 1;
  keyring->m_names_key = crypto::random_secret(crypto::k_key_size);
  keyring->m_audit_key = crypto::random_secret(crypto::k_key_size);
  auto pair = crypto::ed25519_generate();
  keyring->m_checkpoint_seed = std::move(pair.seed);
  keyring->m_checkpoint_public = pair.public_key;

  keyring->write_root_keys(1);
  keyring->m_unlocked_by =
      keyring->write_unlock_entry(unlock, crypto::hex_encode(crypto::random_bytes(4)), 1);
  keyring->create_namespace(k_default_namespace);
  // The config is the commit point: without it the directory is not a store.
  const auto config_bytes = to_vector(config.document.dump(2) + "\n");
  if (!store.put_if_absent(std::string(k_config_name), config_bytes)) {
    fail(ErrorCode::conflict, "another process initialised " + store.url() + " at the same time");
  }
  return keyring;
}

std::unique_ptr<Keyring> Keyring::open(store::ObjectStore& store, const UnlockMaterial& material) {
  auto keyring = unlock(store, material);
  keyring->load();
  return keyring;
}

std::unique_ptr<Keyring> Keyring::unlock(store::ObjectStore& store, const UnlockMaterial& unlock) {
  auto config = read_config(store);
  std::unique_ptr<Keyring> keyring(new Keyring(store, std::move(config)));  // NOLINT
  const auto entries = group_generations(store.list(std::string(k_unlock_prefix)));
  for (const auto& [logical, generations] : entries) {
    for (const auto generation : generations) {
      const auto bytes = store.get(generation_name(logical, generation));
      if (!bytes) continue;
      const auto entry = parse_json_object(*bytes);
      if (!entry || entry->value("kind", "") != kind_name(unlock.kind)) continue;
      if (std::string(bytes->begin(), bytes->end()) != canonical_entry(*entry)) continue;
      try {
        const auto wrapping = derive_unlock_key(unlock, entry->at("kdf"));
        const auto sealed = crypto::base64_decode(entry->at("wrapped_master").get<std::string>());
        if (!sealed) continue;
        auto master = crypto::aead_open(wrapping, *sealed, entry_aad(*entry));
        if (master.size() != crypto::k_key_size) continue;
        keyring->m_master_key = std::move(master);
        keyring->m_master_serial = util::json_integer<std::uint32_t>(entry->at("master_serial"));
        keyring->m_unlocked_by = entry->at("id").get<std::string>();
      } catch (const Error& e) {
        if (e.code() != ErrorCode::auth) throw;
        continue;
      } catch (const json::exception&) {
        continue;
      }
      break;
    }
    if (!keyring->m_master_key.empty()) break;
  }
  if (keyring->m_master_key.empty()) {
    fail(ErrorCode::auth, "cannot unlock store " + store.url() + ": wrong passphrase or key file",
         "check " + unlock.source + "; `ward key status` lists the unlock entries once unlocked");
  }
  return keyring;
}

void Keyring::write_root_keys(std::uint32_t generation) {
  const auto digest = crypto::sha256(to_vector(m_config.document.dump(2) + "\n"));
  const auto plaintext = KeyBundle::pack({&m_names_key, &m_audit_key, &m_checkpoint_seed},
                                         json{{"config_sha256", crypto::hex_encode(digest)}});
  const std::string logical(k_root_logical);
  if (!put_generation(logical, generation,
                      seal_with_master(ObjectType::root_keys, logical, plaintext.bytes()))) {
    fail(ErrorCode::conflict, "the root keys of store " + m_store.url() + " changed concurrently");
  }
}

void Keyring::load() {
  const std::string logical(k_root_logical);
  const auto generations = group_generations(m_store.list("keys/root/"));
  const auto found = generations.find(logical);
  if (found == generations.end()) {
    fail(ErrorCode::auth, "store " + m_store.url() + " has no root keys", "the store is damaged");
  }
  auto bundle =
      KeyBundle::unpack(open_master_object(ObjectType::root_keys, logical, found->second), 3);
  const auto config_bytes = m_store.get(std::string(k_config_name));
  const auto digest = crypto::sha256(config_bytes ? *config_bytes : std::vector<std::uint8_t>{});
  if (bundle.metadata.value("config_sha256", "") != crypto::hex_encode(digest)) {
    fail(ErrorCode::auth, "the config object of store " + m_store.url() + " was modified",
         "restore the original config; its digest is sealed in the root keys");
  }
  m_names_key = std::move(bundle.keys[0]);
  m_audit_key = std::move(bundle.keys[1]);
  m_checkpoint_seed = std::move(bundle.keys[2]);
  m_checkpoint_public = crypto::ed25519_public_key(m_checkpoint_seed);
}

std::string Keyring::namespace_id(std::string_view name) const {
  return keyed_id(m_names_key, "ward.namespace.v1", name);
}

Namespace& Keyring::ns(std::string_view name) {
  if (auto found = m_namespaces.find(name); found != m_namespaces.end()) return *found->second;
  const auto id = namespace_id(name);
  const auto logical = ns_logical_meta(id);
  const auto generations = group_generations(m_store.list(std::string(k_ns_prefix) + id + "/"));
  const auto meta = generations.find(logical);
  if (generations.contains(ns_logical_tombstone(id))) {
    fail(ErrorCode::not_found,
         "namespace '" + std::string(name) + "' is being destroyed (an interrupted `ns destroy`)",
         "run `ward ns destroy " + std::string(name) + " --yes` again to finish");
  }
  if (meta == generations.end()) {
    fail(ErrorCode::not_found, "no namespace '" + std::string(name) + "' in store " + m_store.url(),
         "`ward ns list` shows the namespaces; `ward ns create NAME` adds one");
  }
  auto bundle =
      KeyBundle::unpack(open_master_object(ObjectType::namespace_meta, logical, meta->second), 3);
  if (util::json_string_or(bundle.metadata, "name") != name) {
    fail(ErrorCode::auth,
         "namespace object " + logical + " does not belong to '" + std::string(name) + "'");
  }
  auto created =
      std::make_unique<Namespace>(*this, std::string(name), id, std::move(bundle.keys[0]),
                                  std::move(bundle.keys[1]), std::move(bundle.keys[2]));
  return *m_namespaces.emplace(std::string(name), std::move(created)).first->second;
}

Namespace& Keyring::create_namespace(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.find('\0') != std::string_view::npos) {
    fail(ErrorCode::usage, "invalid namespace name: use 1 to 128 characters");
  }
  const auto id = namespace_id(name);
  const auto meta_logical = ns_logical_meta(id);
  const auto exists = [&] {
    fail(ErrorCode::conflict, "namespace '" + std::string(name) + "' already exists");
  };
  const auto existing = group_generations(m_store.list(std::string(k_ns_prefix) + id + "/"));
  if (existing.contains(ns_logical_tombstone(id))) {
    // Its leftovers would be taken for the new namespace's objects (and fail to open).
    fail(ErrorCode::conflict,
         "namespace '" + std::string(name) +
             "' is still being destroyed (an interrupted `ns destroy`)",
         "run `ward ns destroy " + std::string(name) + " --yes` to finish, then create it");
  }
  if (existing.contains(meta_logical)) exists();
  const auto created = util::format_time(util::now());
  // The first KEK goes first, so a namespace whose meta exists always has a KEK. A KEK left
  // by an interrupted create (or written by a concurrent one) is valid and simply kept: the
  // meta is the commit point.
  {
    auto kek = crypto::random_secret(crypto::k_key_size);
    const auto kek_logical = ns_kek_prefix(id) + version_name(1);
    const auto kek_plaintext = KeyBundle::pack({&kek}, json{{"version", 1}, {"created", created}});
    (void)put_generation(kek_logical, 1,
                         seal_with_master(ObjectType::kek, kek_logical, kek_plaintext.bytes()));
  }
  auto name_key = crypto::random_secret(crypto::k_key_size);
  auto pseudonym_key = crypto::random_secret(crypto::k_key_size);
  auto token_key = crypto::random_secret(crypto::k_key_size);
  const auto meta_plaintext = KeyBundle::pack({&name_key, &pseudonym_key, &token_key},
                                              json{{"name", name}, {"created", created}});
  if (!put_generation(
          meta_logical, 1,
          seal_with_master(ObjectType::namespace_meta, meta_logical, meta_plaintext.bytes()))) {
    exists();
  }
  auto ns = std::make_unique<Namespace>(*this, std::string(name), id, std::move(name_key),
                                        std::move(pseudonym_key), std::move(token_key));
  return *m_namespaces.insert_or_assign(std::string(name), std::move(ns)).first->second;
}

std::vector<std::string> Keyring::namespace_names(std::vector<std::string>* unreadable) {
  std::vector<std::string> names;
  const auto objects = group_generations(m_store.list(std::string(k_ns_prefix)));
  for (const auto& [logical, generations] : objects) {
    if (!logical.ends_with("/meta")) continue;
    const auto id = logical.substr(k_ns_prefix.size(), logical.size() - k_ns_prefix.size() - 5);
    if (objects.contains(ns_logical_tombstone(id))) continue;
    try {
      const auto bundle = KeyBundle::unpack(
          open_master_object(ObjectType::namespace_meta, logical, generations), 3);
      names.push_back(util::json_string_or(bundle.metadata, "name"));
    } catch (const Error& e) {
      if (e.code() != ErrorCode::auth || unreadable == nullptr) throw;
      unreadable->push_back(logical);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::size_t Keyring::destroy_namespace(std::string_view name) {
  const auto id = namespace_id(name);
  const auto tombstone = ns_logical_tombstone(id);
  auto keys = group_generations(m_store.list(std::string(k_ns_prefix) + id + "/"));
  if (!keys.contains(tombstone)) {
    (void)ns(name);  // not_found unless it exists, and auth unless its meta is really its own
    const auto plaintext =
        KeyBundle::pack({}, json{{"name", name}, {"destroyed", util::format_time(util::now())}});
    (void)put_generation(
        tombstone, 1, seal_with_master(ObjectType::namespace_meta, tombstone, plaintext.bytes()));
    keys = group_generations(m_store.list(std::string(k_ns_prefix) + id + "/"));
  } else if (destroying_namespace_name(id, keys.at(tombstone)) != name) {
    fail(ErrorCode::auth,
         "namespace object " + tombstone + " does not belong to '" + std::string(name) + "'");
  }
  m_namespaces.erase(std::string(name));

  // Keys first: once the KEKs are gone the remaining ciphertext is unreadable even if removal
  // of the objects is interrupted. The marker goes last, so a rerun finds what is left.
  std::vector<std::string> key_objects;
  for (const auto& [logical, generations] : keys) {
    if (logical == tombstone) continue;
    for (const auto generation : generations)
      key_objects.push_back(generation_name(logical, generation));
  }
  m_store.remove_batch(key_objects);
  std::vector<std::string> objects;
  auto prefixes = Namespace::kek_wrapped_prefixes(id);
  for (auto& prefix : Namespace::unwrapped_prefixes(id)) prefixes.push_back(std::move(prefix));
  for (const auto& prefix : prefixes) {
    const auto listed = m_store.list(prefix);
    objects.insert(objects.end(), listed.begin(), listed.end());
  }
  m_store.remove_batch(objects);
  std::vector<std::string> marker;
  for (const auto generation : keys.at(tombstone))
    marker.push_back(generation_name(tombstone, generation));
  m_store.remove_batch(marker);
  return objects.size();
}

std::string Keyring::destroying_namespace_name(const std::string& id,
                                               const std::vector<std::uint32_t>& generations) {
  const auto logical = ns_logical_tombstone(id);
  const auto bundle =
      KeyBundle::unpack(open_master_object(ObjectType::namespace_meta, logical, generations), 0);
  const auto name = util::json_string_or(bundle.metadata, "name");
  if (name.empty() || namespace_id(name) != id) {
    fail(ErrorCode::auth, "namespace object " + logical + " names another namespace");
  }
  return name;
}

std::vector<std::string> Keyring::destroying_namespaces() {
  std::vector<std::string> names;
  for (const auto& [logical, generations] :
       group_generations(m_store.list(std::string(k_ns_prefix)))) {
    if (!logical.ends_with("/destroying")) continue;
    const auto id = logical.substr(k_ns_prefix.size(), logical.size() - k_ns_prefix.size() -
                                                           std::string_view("/destroying").size());
    names.push_back(destroying_namespace_name(id, generations));
  }
  std::sort(names.begin(), names.end());
  return names;
}

crypto::Bytes Keyring::seal_with_master(ObjectType type, std::string_view path,
                                        std::span<const std::uint8_t> plaintext) {
  return seal_object(m_master_key, WrapKind::master, m_master_serial, type, path, plaintext);
}

crypto::SecretBytes Keyring::open_master_object(ObjectType type, const std::string& logical,
                                                const std::vector<std::uint32_t>& generations,
                                                std::uint32_t* generation_used) {
  std::optional<Error> last_error;
  for (const auto generation : generations) {
    const auto bytes = m_store.get(generation_name(logical, generation));
    if (!bytes) continue;
    try {
      const auto envelope = parse_envelope(*bytes);
      // A generation written under another master key (an interrupted `rotate --master`) is
      // not ours to open; skip it rather than reporting damage.
      if (envelope.header.wrap_kind != WrapKind::master ||
          envelope.header.wrap_version != m_master_serial) {
        continue;
      }
      auto plaintext = open_object(m_master_key, envelope, type, logical);
      if (generation_used != nullptr) *generation_used = generation;
      return plaintext;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::auth) throw;
      last_error = e;
    }
  }
  fail(ErrorCode::auth,
       "object " + logical + " failed authentication" +
           (last_error ? std::string(": ") + last_error->what() : std::string()),
       "the store is damaged or was tampered with; run `ward store verify`");
}

bool Keyring::put_generation(const std::string& logical, std::uint32_t generation,
                             const crypto::Bytes& bytes) {
  return m_store.put_if_absent(generation_name(logical, generation), bytes);
}

std::string Keyring::write_unlock_entry(const UnlockMaterial& unlock, const std::string& id,
                                        std::uint32_t generation) {
  json kdf;
  const auto salt = crypto::base64_encode(crypto::random_bytes(16));
  if (unlock.kind == UnlockMaterial::Kind::key_file) {
    kdf = {{"alg", "hkdf-sha256"}, {"salt", salt}};
  } else {
    kdf = {{"alg", "argon2id"},
           {"memory_kib", m_config.kdf.memory_kib},
           {"iterations", m_config.kdf.iterations},
           {"parallelism", m_config.kdf.parallelism},
           {"salt", salt}};
  }
  json entry{{"schema", "ward.unlock/v1"},       {"id", id},
             {"kind", kind_name(unlock.kind)},   {"created", util::format_time(util::now())},
             {"master_serial", m_master_serial}, {"kdf", kdf}};
  const auto wrapping = derive_unlock_key(unlock, kdf);
  entry["wrapped_master"] =
      crypto::base64_encode(crypto::aead_seal(wrapping, m_master_key.bytes(), entry_aad(entry)));
  if (!put_generation(std::string(k_unlock_prefix) + id, generation,
                      to_vector(canonical_entry(entry)))) {
    fail(ErrorCode::conflict, "unlock entry " + id + " was written concurrently");
  }
  return id;
}

std::vector<UnlockEntryInfo> Keyring::unlock_entries() {
  std::vector<UnlockEntryInfo> entries;
  for (const auto& [logical, generations] :
       group_generations(m_store.list(std::string(k_unlock_prefix)))) {
    const auto bytes = m_store.get(generation_name(logical, generations.front()));
    if (!bytes) continue;
    const auto entry = parse_json_object(*bytes);
    if (!entry) continue;
    UnlockEntryInfo info;
    info.id = entry->value("id", "");
    info.kind = entry->value("kind", "");
    info.created = entry->value("created", "");
    info.master_serial = entry->value("master_serial", 0U);
    info.used_now = info.id == m_unlocked_by;
    entries.push_back(std::move(info));
  }
  return entries;
}

std::string Keyring::add_unlock(const UnlockMaterial& unlock) {
  return write_unlock_entry(unlock, crypto::hex_encode(crypto::random_bytes(4)), 1);
}

void Keyring::remove_unlock(std::string_view id) {
  const auto entries = group_generations(m_store.list(std::string(k_unlock_prefix)));
  const auto logical = std::string(k_unlock_prefix) + std::string(id);
  const auto found = entries.find(logical);
  if (found == entries.end())
    fail(ErrorCode::not_found, "no unlock entry '" + std::string(id) + "'");
  if (entries.size() == 1) {
    fail(ErrorCode::conflict, "unlock entry " + std::string(id) + " is the last one",
         "add another first with `ward key add-unlock`, or the store could never be opened again");
  }
  std::vector<std::string> names;
  for (const auto generation : found->second) names.push_back(generation_name(logical, generation));
  m_store.remove_batch(names);
}

std::vector<std::string> Keyring::rotate_master(const UnlockMaterial& unlock) {
  const auto entries = group_generations(m_store.list(std::string(k_unlock_prefix)));
  const auto own_logical = std::string(k_unlock_prefix) + m_unlocked_by;
  const auto own = entries.find(own_logical);
  if (own == entries.end()) {
    fail(ErrorCode::conflict, "the unlock entry used by this session was removed concurrently");
  }

  // Every object wrapped by the master key, with its generations.
  GenerationMap wrapped = group_generations(m_store.list("keys/root/"));
  for (auto& entry : group_generations(m_store.list(std::string(k_ns_prefix))))
    wrapped.insert(entry);

  auto new_master = crypto::random_secret(crypto::k_key_size);
  const auto new_serial = m_master_serial + 1;
  std::vector<store::ObjectStore::PutRequest> batch;
  std::vector<std::string> superseded;
  for (const auto& [logical, generations] : wrapped) {
    const auto newest = m_store.get(generation_name(logical, generations.front()));
    if (!newest) continue;
    const auto type = parse_envelope(*newest).header.type;
    std::uint32_t used = 0;
    (void)open_master_object(type, logical, generations, &used);
    const auto bytes = m_store.get(generation_name(logical, used));
    auto rewrapped = rewrap_object(m_master_key, new_master, WrapKind::master, new_serial,
                                   parse_envelope(*bytes), type, logical);
    batch.push_back({generation_name(logical, generations.front() + 1), std::move(rewrapped)});
    for (const auto generation : generations)
      superseded.push_back(generation_name(logical, generation));
  }
  const auto written = m_store.put_batch(batch);
  if (std::find(written.begin(), written.end(), false) != written.end()) {
    fail(ErrorCode::conflict, "another process is rotating the master key of " + m_store.url());
  }

  // The entry used now is rewrapped (only this session holds its secret); its new generation
  // is the commit point. Until then every reader still unlocks the old master key and reads
  // the old generations.
  auto old_master = std::move(m_master_key);
  const auto old_serial = m_master_serial;
  m_master_key = std::move(new_master);
  m_master_serial = new_serial;
  try {
    write_unlock_entry(unlock, m_unlocked_by, own->second.front() + 1);
  } catch (...) {
    m_master_key = std::move(old_master);
    m_master_serial = old_serial;
    throw;
  }

  // Entries that still unlock the old master key go before the objects that key opens, so an
  // interrupted cleanup never leaves an entry that unlocks into a store it cannot read.
  // (`entries` was listed before the new generation of our own entry was written.)
  std::vector<std::string> removed_entries;
  std::vector<std::string> stale_entries;
  for (const auto& [logical, generations] : entries) {
    if (logical != own_logical) removed_entries.push_back(logical.substr(k_unlock_prefix.size()));
    for (const auto generation : generations) {
      stale_entries.push_back(generation_name(logical, generation));
    }
  }
  m_store.remove_batch(stale_entries);
  m_store.remove_batch(superseded);
  for (auto& [name, ns] : m_namespaces) {
    ns->m_kek_list_loaded = false;
    ns->m_kek_generations.clear();
  }
  return removed_entries;
}

}  // namespace ward::keyring
