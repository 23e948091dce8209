#include "ward/vault/vault.hpp"

#include <algorithm>

#include "ward/error.hpp"
#include "ward/keyring/generations.hpp"

namespace ward::vault {
namespace {

using keyring::ObjectType;

std::string quote_name(std::string_view name) {
  std::string quoted;
  quoted.reserve(name.size() + 2);
  quoted.push_back('\'');
  quoted.append(name);
  quoted.push_back('\'');
  return quoted;
}

// The next version of a credential: everything that carries forward (fields, policies, the
// revocation state), no secrets, written now by `actor`.
CredentialVersion successor(const CredentialVersion& previous, VersionKind kind,
                            const std::string& actor) {
  CredentialVersion next;
  next.name = previous.name;
  next.type = previous.type;
  next.version = previous.version + 1;
  next.kind = kind;
  next.fields = previous.fields;
  next.secret_field = previous.secret_field;
  next.created = util::format_time(util::now());
  next.credential_created = previous.credential_created;
  next.actor = actor;
  next.rotate_every = previous.rotate_every;
  next.generation_policy = previous.generation_policy;
  next.current_version = previous.current_version;
  next.revoked = previous.revoked;
  next.purged = previous.purged;
  next.markers = previous.markers;
  next.current_secret_names = previous.current_secret_names;
  next.revoke_after = previous.revoke_after;
  return next;
}

}  // namespace

Vault::Vault(keyring::Namespace& ns) : m_ns(ns) {}

std::string Vault::logical(std::string_view id, std::uint32_t version) const {
  return "creds/" + m_ns.id() + "/" + std::string(id) + "/" + keyring::version_name(version);
}

std::map<std::uint32_t, std::vector<std::uint32_t>> Vault::stored_versions(const std::string& id) {
  const auto prefix = "creds/" + m_ns.id() + "/" + id + "/";
  std::map<std::uint32_t, std::vector<std::uint32_t>> versions;
  for (auto& [name, generations] : keyring::group_generations(m_ns.store().list(prefix))) {
    if (auto version = keyring::parse_version_name(std::string_view(name).substr(prefix.size()))) {
      versions[*version] = std::move(generations);
    }
  }
  return versions;
}

CredentialVersion Vault::load(const std::string& id, std::uint32_t version,
                              const std::vector<std::uint32_t>& generations) {
  const auto path = logical(id, version);
  // Newest generation that authenticates wins (a damaged newest generation beside a good
  // older one is reported by `store verify`, not fatal to readers). A generation removed by a
  // concurrent rewrap is skipped, and if every listed one is gone the listing is taken again.
  std::optional<Error> damage;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto candidates = attempt == 0 ? generations : stored_versions(id)[version];
    for (const auto generation : candidates) {
      const auto bytes = m_ns.store().get(keyring::generation_name(path, generation));
      if (!bytes) continue;
      try {
        auto record = decode_credential(m_ns.open(ObjectType::credential, path, *bytes));
        if (record.version != version) {
          fail(ErrorCode::auth, "credential object " + path + " holds another version");
        }
        return record;
      } catch (const Error& e) {
        if (e.code() != ErrorCode::auth) throw;
        if (!damage) damage = e;
      }
    }
    if (damage) throw *damage;
  }
  fail(ErrorCode::not_found,
       "credential version " + std::to_string(version) + " disappeared while reading");
}

void Vault::write(const std::string& id, CredentialVersion& version) {
  if (version.kind == VersionKind::active) {
    version.current_secret_names.clear();
    for (const auto& [name, value] : version.secrets) version.current_secret_names.insert(name);
  } else if (version.current_version == 0) {
    version.current_secret_names.clear();
  }
  const auto path = logical(id, version.version);
  const auto sealed = m_ns.seal(ObjectType::credential, path, encode_credential(version).bytes());
  if (!m_ns.store().put_if_absent(keyring::generation_name(path, 1), sealed)) {
    fail(ErrorCode::conflict,
         "credential " + quote_name(version.name) + " was changed by another process (version " +
             std::to_string(version.version) + " already exists)",
         "retry the command");
  }
}

CredentialVersion Vault::latest(std::string_view name) {
  const auto id = id_of(name);
  const auto versions = stored_versions(id);
  if (versions.empty()) {
    fail(ErrorCode::not_found,
         "no credential " + quote_name(name) + " in namespace " + quote_name(m_ns.name()),
         "`ward cred list` shows the credentials of a namespace");
  }
  auto record = load(id, versions.rbegin()->first, versions.rbegin()->second);
  if (record.name != name)
    fail(ErrorCode::auth, "credential object does not belong to " + quote_name(name));
  return record;
}

std::vector<std::uint32_t> Vault::versions(std::string_view name) {
  std::vector<std::uint32_t> out;
  for (const auto& [version, generations] : stored_versions(id_of(name))) out.push_back(version);
  return out;
}

CredentialVersion Vault::add(CredentialVersion draft) {
  validate_type(draft.type);
  if (draft.name.empty() || draft.name.size() > 256) {
    fail(ErrorCode::usage, "invalid credential name: use 1 to 256 characters");
  }
  const auto id = id_of(draft.name);
  if (!stored_versions(id).empty()) {
    fail(ErrorCode::conflict, "credential " + quote_name(draft.name) + " already exists",
         "use `ward cred rotate` to give it a new secret");
  }
  draft.version = 1;
  draft.kind = VersionKind::active;
  draft.current_version = 1;
  draft.credential_created = draft.created;
  write(id, draft);
  return draft;
}

CredentialVersion Vault::rotate(std::string_view name,
                                std::map<std::string, crypto::SecretBytes> secrets,
                                const std::map<std::string, std::string>& field_updates,
                                const std::string& generation_policy, const std::string& actor) {
  const auto previous = latest(name);
  refuse_pending(previous);
  auto next = successor(previous, VersionKind::active, actor);
  for (const auto& [field, value] : field_updates) next.fields[field] = value;
  next.secrets = std::move(secrets);
  if (!generation_policy.empty()) next.generation_policy = generation_policy;
  next.current_version = next.version;
  write(id_of(name), next);
  return next;
}

CredentialVersion Vault::begin_pending(std::string_view name,
                                       std::map<std::string, crypto::SecretBytes> secrets,
                                       const std::map<std::string, std::string>& field_updates,
                                       const std::string& generation_policy,
                                       const std::string& actor, const std::string& owner) {
  const auto previous = latest(name);
  refuse_pending(previous);
  if (previous.current_version == 0) {
    fail(ErrorCode::not_found,
         "credential " + quote_name(name) + " is revoked and has no current secret to replace");
  }
  auto next = successor(previous, VersionKind::pending, actor);
  for (const auto& [field, value] : field_updates) next.fields[field] = value;
  next.secrets = std::move(secrets);
  if (!generation_policy.empty()) next.generation_policy = generation_policy;
  next.pending_owner = owner;
  write(id_of(name), next);
  return next;
}

void Vault::remove_version_objects(const std::string& id, std::uint32_t version) {
  const auto stored = stored_versions(id);
  const auto found = stored.find(version);
  if (found == stored.end()) return;
  std::vector<std::string> doomed;
  for (const auto generation : found->second) {
    doomed.push_back(keyring::generation_name(logical(id, version), generation));
  }
  m_ns.store().remove_batch(doomed);
}

CredentialVersion Vault::commit_pending(std::string_view name, std::uint32_t pending,
                                        const std::string& actor,
                                        const std::optional<std::string>& revoke_previous_at) {
  const auto id = id_of(name);
  auto previous = latest(name);
  if (previous.kind != VersionKind::pending || previous.version != pending) {
    if (previous.markers.contains(pending) && previous.current_version > pending &&
        !previous.revoked.contains(previous.current_version)) {
      return read(name);  // another process resolved it the same way
    }
    fail(ErrorCode::conflict,
         "pending version " + std::to_string(pending) + " of " + quote_name(name) +
             " is no longer the newest: another process changed the credential",
         "`ward cred show " + std::string(name) + "` shows its versions");
  }
  auto next = successor(previous, VersionKind::active, actor);
  next.secrets = std::move(previous.secrets);
  next.pending_owner.clear();
  next.markers.insert(pending);
  const auto superseded = previous.current_version;
  next.current_version = next.version;
  if (revoke_previous_at && superseded != 0) next.revoke_after[superseded] = *revoke_previous_at;
  write(id, next);
  // The commit is durable before the pending copy of the secret goes.
  remove_version_objects(id, pending);
  return next;
}

CredentialVersion Vault::discard_pending(std::string_view name, std::uint32_t pending,
                                         const std::string& actor) {
  const auto id = id_of(name);
  const auto previous = latest(name);
  if (previous.kind != VersionKind::pending || previous.version != pending) {
    fail(ErrorCode::conflict,
         "pending version " + std::to_string(pending) + " of " + quote_name(name) +
             " is no longer the newest: another process changed the credential",
         "`ward cred show " + std::string(name) + "` shows its versions");
  }
  auto marker = successor(previous, VersionKind::revocation, actor);
  marker.pending_owner.clear();
  // The fields the pending version would have changed (a new public key) stay the current
  // version's.
  if (previous.current_version != 0) {
    const auto stored = stored_versions(id);
    if (const auto found = stored.find(previous.current_version); found != stored.end()) {
      marker.fields = load(id, previous.current_version, found->second).fields;
    }
  }
  marker.markers.insert(pending);
  marker.markers.insert(marker.version);
  write(id, marker);
  remove_version_objects(id, pending);
  return marker;
}

CredentialVersion Vault::latest_by_id(const std::string& id) {
  const auto versions = stored_versions(id);
  if (versions.empty()) fail(ErrorCode::not_found, "no credential with id " + id);
  return load(id, versions.rbegin()->first, versions.rbegin()->second);
}

void Vault::refuse_pending(const CredentialVersion& newest) const {
  if (newest.kind != VersionKind::pending) return;
  fail(ErrorCode::conflict,
       "credential " + quote_name(newest.name) + " has a rotation in progress (pending version " +
           std::to_string(newest.version) + ", written " + newest.created + " by " + newest.actor +
           ")",
       "`ward cred rotate " + newest.name +
           " --apply` resolves a rotation whose process is gone by asking the target which "
           "secret it accepts");
}

RevokeResult Vault::revoke(std::string_view name, std::optional<std::uint32_t> version, bool purge,
                           const std::string& actor) {
  const auto previous = latest(name);
  const auto id = id_of(name);
  const auto stored = stored_versions(id);
  RevokeResult result;
  // Revoking one version while a rotation is pending would make the pending version lose its
  // place as the newest, and the rotation could not commit what it set on the target.
  if (version) refuse_pending(previous);
  auto marker = successor(previous, VersionKind::revocation, actor);
  marker.markers.insert(marker.version);
  if (version) {
    if (!stored.contains(*version) && !previous.purged.contains(*version)) {
      fail(ErrorCode::not_found,
           "credential " + quote_name(name) + " has no version " + std::to_string(*version));
    }
    if (previous.revoked.contains(*version) && !purge) {
      fail(
          ErrorCode::conflict,
          "version " + std::to_string(*version) + " of " + quote_name(name) + " is already revoked",
          "add --purge to delete its objects");
    }
    if (!previous.revoked.contains(*version)) result.revoked.push_back(*version);
    marker.revoked.insert(*version);
    marker.revoke_after.erase(*version);
    if (marker.current_version == *version) marker.current_version = 0;
  } else {
    for (const auto& [v, generations] : stored) {
      if (previous.markers.contains(v)) continue;  // markers hold no secret
      if (!marker.revoked.contains(v)) result.revoked.push_back(v);
      marker.revoked.insert(v);
    }
    marker.current_version = 0;
    marker.revoke_after.clear();
    marker.pending_owner.clear();
  }
  std::vector<std::string> doomed;
  if (purge) {
    for (const auto v : marker.revoked) {
      if (marker.purged.contains(v)) continue;
      const auto found = stored.find(v);
      if (found == stored.end()) continue;
      for (const auto generation : found->second) {
        doomed.push_back(keyring::generation_name(logical(id, v), generation));
      }
      marker.purged.insert(v);
    }
  }
  if (result.revoked.empty() && doomed.empty()) return result;  // already revoked: nothing to do
  write(id, marker);
  result.marker_version = marker.version;
  // The marker is durable before anything is deleted, so a crash never leaves a purged
  // version that the newest record still calls readable.
  m_ns.store().remove_batch(doomed);
  result.purged_objects = doomed.size();
  return result;
}

CredentialVersion Vault::read(std::string_view name, std::optional<std::uint32_t> version) {
  auto newest = latest(name);
  const auto wanted = version.value_or(newest.current_version);
  if (wanted == 0) {
    fail(ErrorCode::not_found,
         "credential " + quote_name(name) + " is revoked and has no current secret",
         "give it a new one with `ward cred rotate`");
  }
  if (newest.revoked.contains(wanted)) {
    fail(ErrorCode::not_found,
         "version " + std::to_string(wanted) + " of " + quote_name(name) + " is revoked");
  }
  if (wanted > newest.version) {
    fail(ErrorCode::not_found,
         "credential " + quote_name(name) + " has no version " + std::to_string(wanted));
  }
  CredentialVersion record = wanted == newest.version ? std::move(newest) : [&] {
    const auto id = id_of(name);
    const auto stored = stored_versions(id);
    const auto found = stored.find(wanted);
    if (found == stored.end()) {
      fail(ErrorCode::not_found,
           "credential " + quote_name(name) + " has no version " + std::to_string(wanted));
    }
    return load(id, wanted, found->second);
  }();
  if (record.kind != VersionKind::active) {
    fail(ErrorCode::not_found, "version " + std::to_string(wanted) + " of " + quote_name(name) +
                                   " is " + std::string(to_string(record.kind)) +
                                   ", not a usable secret");
  }
  return record;
}

std::vector<CredentialSummary> Vault::list() {
  const auto prefix = "creds/" + m_ns.id() + "/";
  // id → newest version and its generations, from one listing.
  std::map<std::string, std::pair<std::uint32_t, std::vector<std::uint32_t>>> newest;
  for (auto& [name, generations] : keyring::group_generations(m_ns.store().list(prefix))) {
    const auto rest = std::string_view(name).substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) continue;
    const auto version = keyring::parse_version_name(rest.substr(slash + 1));
    if (!version) continue;
    auto& slot = newest[std::string(rest.substr(0, slash))];
    if (*version >= slot.first) slot = {*version, std::move(generations)};
  }
  // The newest generation of every credential's newest version in one batch read (parallel
  // on remote stores); one that is missing or does not authenticate takes the slow path.
  std::vector<std::string> first_generations;
  first_generations.reserve(newest.size());
  for (const auto& [id, entry] : newest) {
    first_generations.push_back(
        keyring::generation_name(logical(id, entry.first), entry.second.front()));
  }
  auto prefetched = m_ns.store().get_batch(first_generations);
  std::vector<CredentialSummary> out;
  out.reserve(newest.size());
  std::size_t index = 0;
  for (const auto& [id, entry] : newest) {
    auto& read = prefetched[index++];
    std::optional<CredentialVersion> fast;
    if (read.bytes) {
      try {
        const auto path = logical(id, entry.first);
        auto decoded = decode_credential(m_ns.open(ObjectType::credential, path, *read.bytes));
        if (decoded.version == entry.first) fast = std::move(decoded);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::auth) throw;
      }
    }
    read.bytes.reset();
    const auto record = fast ? std::move(*fast) : load(id, entry.first, entry.second);
    CredentialSummary summary;
    summary.name = record.name;
    summary.id = id;
    summary.type = record.type;
    summary.latest_version = record.version;
    summary.current_version = record.current_version;
    summary.created = record.credential_created;
    summary.updated = record.created;
    summary.rotate_every = record.rotate_every;
    for (const auto& [field, value] : record.fields) summary.field_names.push_back(field);
    summary.secret_names.assign(record.current_secret_names.begin(),
                                record.current_secret_names.end());
    summary.revoked_versions = record.revoked.size();
    out.push_back(std::move(summary));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace ward::vault
