#include "ward/verify/store_verifier.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "ward/error.hpp"
#include "ward/keyring/generations.hpp"
#include "ward/vault/credential.hpp"

namespace ward::verify {
namespace {

using keyring::ObjectType;

// The path segment right after `prefix`: the namespace id of keys/ns/<id>/… or creds/<id>/….
std::string segment_after(const std::string& name, std::string_view prefix) {
  return name.substr(prefix.size(), name.find('/', prefix.size()) - prefix.size());
}

void verify_master_objects(keyring::Keyring& keys, StoreReport& report) {
  auto& store = keys.store();
  for (const char* prefix : {"keys/root/", "keys/ns/"}) {
    for (const auto& [logical, generations] : keyring::group_generations(store.list(prefix))) {
      for (const auto generation : generations) {
        const auto name = keyring::generation_name(logical, generation);
        try {
          // Inside the try: a backend that finds an object torn says so when reading it.
          const auto bytes = store.get(name);
          if (!bytes) continue;
          const auto envelope = keyring::parse_envelope(*bytes);
          if (envelope.header.wrap_kind != keyring::WrapKind::master) {
            report.problems.push_back(name + ": key object not wrapped by the master key");
            continue;
          }
          if (envelope.header.wrap_version != keys.master_serial()) {
            report.notes.push_back(
                name + ": generation under another master key (interrupted `key rotate --master`)");
            continue;
          }
          (void)keys.open_master_object(envelope.header.type, logical, {generation});
          ++report.objects;
        } catch (const Error& e) {
          if (e.code() != ErrorCode::auth) throw;
          report.problems.push_back(name + ": fails authentication (" + e.what() + ")");
        }
      }
    }
  }
}

// Namespaces whose `ns destroy` was interrupted: their leftovers are expected, not damage. A
// marker that does not authenticate is reported by verify_master_objects, and its namespace's
// leftovers then count as belonging to no namespace.
std::map<std::string, std::string> namespaces_being_destroyed(keyring::Keyring& keys) {
  std::map<std::string, std::string> by_id;
  try {
    for (auto& name : keys.destroying_namespaces()) by_id.emplace(keys.namespace_id(name), name);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::auth) throw;
  }
  return by_id;
}

void note_orphan_keys(keyring::Keyring& keys, StoreReport& report) {
  std::set<std::string> with_meta;
  std::set<std::string> ids;
  for (const auto& name : keys.store().list("keys/ns/")) {
    const auto id = segment_after(name, "keys/ns/");
    ids.insert(id);
    if (name.find("/meta.g") != std::string::npos) with_meta.insert(id);
  }
  const auto destroying = namespaces_being_destroyed(keys);
  for (const auto& [id, name] : destroying) {
    report.notes.push_back(
        "keys/ns/" + id + "/: namespace '" + name +
        "' is being destroyed (interrupted `ns destroy`); run `ward ns destroy " + name +
        " --yes` to finish");
  }
  for (const auto& id : ids) {
    if (!with_meta.contains(id) && !destroying.contains(id)) {
      report.notes.push_back("keys/ns/" + id +
                             "/: keys without a namespace (interrupted `ns create`)");
    }
  }
}

void verify_unlock_entries(keyring::Keyring& keys, StoreReport& report) {
  auto& store = keys.store();
  for (const auto& name : store.list("keys/unlock/")) {
    std::optional<store::Bytes> bytes;
    try {
      bytes = store.get(name);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::auth) throw;
      report.problems.push_back(name + ": " + e.what());
      continue;
    }
    if (!bytes) continue;
    const auto entry = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
    if (!entry.is_object() || !entry.contains("wrapped_master") || !entry.contains("kdf")) {
      report.problems.push_back(name + ": malformed unlock entry");
      continue;
    }
    ++report.objects;
  }
}

void verify_credentials(keyring::Keyring& keys, StoreReport& report) {
  auto& store = keys.store();
  std::set<std::string> known;
  std::vector<std::string> unreadable;
  const auto names = keys.namespace_names(&unreadable);
  for (const auto& logical : unreadable) {
    // Already reported by verify_master_objects; its credentials cannot be checked.
    known.insert(segment_after(logical, "keys/ns/"));
  }
  for (const auto& destroying : namespaces_being_destroyed(keys)) known.insert(destroying.first);
  for (const auto& ns_name : names) {
    ++report.namespaces;
    auto& ns = keys.ns(ns_name);
    known.insert(ns.id());
    const auto prefix = "creds/" + ns.id() + "/";
    // Every generation of the namespace in one batch read (parallel on remote stores).
    std::vector<std::pair<std::string, std::string>> objects;  // logical, stored name
    for (const auto& [logical, generations] : keyring::group_generations(store.list(prefix))) {
      for (const auto generation : generations)
        objects.emplace_back(logical, keyring::generation_name(logical, generation));
    }
    std::vector<std::string> stored;
    stored.reserve(objects.size());
    for (const auto& object : objects) stored.push_back(object.second);
    auto reads = store.get_batch(stored);
    for (std::size_t i = 0; i < objects.size(); ++i) {
      const auto& [logical, name] = objects[i];
      const auto rest = std::string_view(logical).substr(prefix.size());
      const auto slash = rest.find('/');
      const auto version = slash == std::string_view::npos
                               ? std::nullopt
                               : keyring::parse_version_name(rest.substr(slash + 1));
      if (reads[i].error && reads[i].error->code() == ErrorCode::conflict) {
        report.notes.push_back(name + ": " + reads[i].error->what());
        continue;
      }
      try {
        // A backend that finds an object torn says so as its read's error.
        if (reads[i].error) throw *reads[i].error;
        const auto& bytes = reads[i].bytes;
        if (!bytes) continue;
        const auto record =
            vault::decode_credential(ns.open(ObjectType::credential, logical, *bytes));
        if (!version || record.version != *version) {
          report.problems.push_back(name + ": holds version " + std::to_string(record.version));
        } else if (ns.object_id(record.name) != rest.substr(0, slash)) {
          report.problems.push_back(name + ": belongs to another credential");
        }
        ++report.objects;
        ++report.credentials;
      } catch (const Error& e) {
        if (e.code() != ErrorCode::auth) throw;
        report.problems.push_back(name + ": fails authentication (" + e.what() + ")");
      }
      reads[i].bytes.reset();
    }
  }
  for (const auto& name : store.list("creds/")) {
    const auto ns_id = segment_after(name, "creds/");
    if (!known.contains(ns_id)) report.problems.push_back(name + ": belongs to no namespace");
  }
}

// Stored check results, redaction run records and reports: each authenticates under its namespace's
// KEK at its own path.
void verify_namespace_records(keyring::Keyring& keys, StoreReport& report,
                              const std::string& family, ObjectType type) {
  auto& store = keys.store();
  std::set<std::string> known;
  std::vector<std::string> unreadable;
  const auto names = keys.namespace_names(&unreadable);
  for (const auto& logical : unreadable) {
    // Already reported by verify_master_objects; its records cannot be checked.
    known.insert(segment_after(logical, "keys/ns/"));
  }
  for (const auto& destroying : namespaces_being_destroyed(keys)) known.insert(destroying.first);
  for (const auto& ns_name : names) {
    auto& ns = keys.ns(ns_name);
    known.insert(ns.id());
    const auto prefix = family + ns.id() + "/";
    // Every generation of the namespace's records in one batch read (parallel on remote stores).
    std::vector<std::pair<std::string, std::string>> objects;  // logical, stored name
    for (const auto& [logical, generations] : keyring::group_generations(store.list(prefix))) {
      for (const auto generation : generations)
        objects.emplace_back(logical, keyring::generation_name(logical, generation));
    }
    std::vector<std::string> stored;
    stored.reserve(objects.size());
    for (const auto& object : objects) stored.push_back(object.second);
    auto reads = store.get_batch(stored);
    for (std::size_t i = 0; i < objects.size(); ++i) {
      const auto& [logical, name] = objects[i];
      if (reads[i].error && reads[i].error->code() == ErrorCode::conflict) {
        report.notes.push_back(name + ": " + reads[i].error->what());
        continue;
      }
      try {
        if (reads[i].error) throw *reads[i].error;
        if (!reads[i].bytes) continue;
        (void)ns.open(type, logical, *reads[i].bytes);
        ++report.objects;
      } catch (const Error& e) {
        if (e.code() != ErrorCode::auth) throw;
        report.problems.push_back(name + ": fails authentication (" + e.what() + ")");
      }
    }
  }
  for (const auto& name : store.list(family)) {
    if (!known.contains(segment_after(name, family))) {
      report.problems.push_back(name + ": belongs to no namespace");
    }
  }
}

}  // namespace

StoreReport verify_store(keyring::Keyring& keys, audit::Log& log) {
  StoreReport report;
  verify_unlock_entries(keys, report);
  verify_master_objects(keys, report);
  note_orphan_keys(keys, report);
  verify_credentials(keys, report);
  verify_namespace_records(keys, report, "checks/", ObjectType::check_result);
  verify_namespace_records(keys, report, "redact/", ObjectType::redact_run);
  verify_namespace_records(keys, report, "reports/", ObjectType::report);
  report.audit = log.verify(std::nullopt, keys.checkpoint_public_key());
  report.objects += report.audit.events;
  for (const auto& problem : report.audit.problems) report.problems.push_back("audit: " + problem);
  for (const auto& name : keys.store().list("")) {
    const auto family = name.substr(0, name.find('/'));
    if (family != "config" && family != "keys" && family != "creds" && family != "audit" &&
        family != "backups" && family != "checks" && family != "rotation" && family != "redact" &&
        family != "reports") {
      report.notes.push_back(name + ": not a ward object");
    }
  }
  return report;
}

}  // namespace ward::verify
