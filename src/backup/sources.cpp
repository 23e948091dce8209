#include "ward/backup/sources.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "ward/crypto/aead.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/hash.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"
#include "ward/keyring/generations.hpp"
#include "ward/util/json_integer.hpp"

namespace ward::backup {
namespace {

using keyring::ObjectType;
using nlohmann::json;

constexpr std::size_t k_kept_verifications = 10;
constexpr std::size_t k_source_id_length = 26;

std::string sources_prefix(Repository& repository) { return repository.prefix() + "sources/"; }
std::string verifications_prefix(Repository& repository) {
  return repository.prefix() + "verifications/";
}

// The plaintext of the newest generation of `logical` that authenticates; Error(auth) when
// none does.
std::optional<crypto::SecretBytes> open_object(Repository& repository, ObjectType type,
                                               const std::string& logical,
                                               const std::vector<std::uint32_t>& generations) {
  std::optional<Error> damage;
  for (const auto generation : generations) {
    const auto bytes = repository.store().get(keyring::generation_name(logical, generation));
    if (!bytes) continue;
    try {
      return repository.ns().open(type, logical, *bytes);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::auth) throw;
      if (!damage) damage = e;
    }
  }
  if (damage) throw *damage;
  return std::nullopt;  // removed while listing
}

json parse_record(const crypto::SecretBytes& plaintext, const std::string& logical) {
  const auto bytes = plaintext.bytes();
  auto doc = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (!doc.is_object()) fail(ErrorCode::auth, "backup record " + logical + " is malformed");
  return doc;
}

SourceRecord decode_source(const json& doc, const std::string& logical) {
  try {
    SourceRecord record;
    record.name = doc.at("name").get<std::string>();
    if (const auto& every = doc.at("expect_every_seconds"); !every.is_null()) {
      record.expect_every = std::chrono::seconds(util::json_integer<std::int64_t>(every));
    }
    record.version = util::json_integer<std::uint32_t>(doc.at("version"));
    record.updated = util::parse_time(doc.at("updated").get<std::string>());
    return record;
  } catch (const std::exception&) {
    fail(ErrorCode::auth, "backup source record " + logical + " is malformed");
  }
}

// Version → generations of one source's records.
std::map<std::uint32_t, std::pair<std::string, std::vector<std::uint32_t>>> source_versions(
    const keyring::GenerationMap& grouped, const std::string& source_prefix) {
  std::map<std::uint32_t, std::pair<std::string, std::vector<std::uint32_t>>> versions;
  for (const auto& [logical, generations] : grouped) {
    if (!logical.starts_with(source_prefix)) continue;
    const auto version = keyring::parse_version_name(logical.substr(source_prefix.size()));
    if (version) versions[*version] = {logical, generations};
  }
  return versions;
}

std::optional<SourceRecord> newest_record(Repository& repository, const std::string& sid,
                                          const keyring::GenerationMap& grouped) {
  const auto versions = source_versions(grouped, sources_prefix(repository) + sid + "/");
  // Newest first. An explicit reverse iterator: clang 14 (the sanitizer and fuzz build) cannot
  // instantiate std::views::reverse over a std::map with GCC 12's ranges.
  for (auto entry = versions.rbegin(); entry != versions.rend(); ++entry) {
    const auto& [version, object] = *entry;
    const auto& [logical, generations] = object;
    const auto plaintext =
        open_object(repository, ObjectType::backup_snapshot, logical, generations);
    if (!plaintext) continue;
    auto record = decode_source(parse_record(*plaintext, logical), logical);
    if (record.version != version || source_id(repository, record.name) != sid) {
      fail(ErrorCode::auth, "backup source record " + logical + " belongs elsewhere");
    }
    return record;
  }
  return std::nullopt;
}

VerificationRecord decode_verification(const json& doc, const std::string& logical) {
  try {
    VerificationRecord record;
    record.time = util::parse_time(doc.at("time").get<std::string>());
    record.ok = doc.at("ok").get<bool>();
    record.read_data = doc.at("read_data").get<bool>();
    record.read_subset = doc.at("read_subset").get<double>();
    record.problems = util::json_integer<std::uint64_t>(doc.at("problems"));
    record.packs_read = util::json_integer<std::uint64_t>(doc.at("packs_read"));
    record.snapshots = doc.at("snapshots").get<std::vector<std::string>>();
    return record;
  } catch (const std::exception&) {
    fail(ErrorCode::auth, "backup verification record " + logical + " is malformed");
  }
}

// "20261201T175900Z": fixed width, so names sort by time.
std::string compact_time(util::TimePoint t) {
  auto text = util::format_time(t);
  std::erase(text, '-');
  std::erase(text, ':');
  return text;
}

}  // namespace

// A keyed hash of the name under its own derived key, so a source and a credential of the same
// name do not share an id.
std::string source_id(Repository& repository, const std::string& name) {
  const auto key = repository.ns().derive_key("ward.backup.source-id.v1");
  const auto mac = crypto::hmac_sha256(key.bytes(), crypto::as_bytes(name));
  return crypto::base32_encode(mac).substr(0, k_source_id_length);
}

std::optional<SourceRecord> read_source(Repository& repository, const std::string& name) {
  const auto sid = source_id(repository, name);
  const auto grouped =
      keyring::group_generations(repository.store().list(sources_prefix(repository) + sid + "/"));
  return newest_record(repository, sid, grouped);
}

std::vector<SourceRecord> read_sources(Repository& repository) {
  const auto prefix = sources_prefix(repository);
  const auto grouped = keyring::group_generations(repository.store().list(prefix));
  std::set<std::string> sids;
  for (const auto& [logical, generations] : grouped) {
    const auto rest = logical.substr(prefix.size());
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
      sids.insert(rest.substr(0, slash));
    }
  }
  std::vector<SourceRecord> records;
  for (const auto& sid : sids) {
    if (auto record = newest_record(repository, sid, grouped)) records.push_back(*record);
  }
  std::sort(records.begin(), records.end(),
            [](const SourceRecord& a, const SourceRecord& b) { return a.name < b.name; });
  return records;
}

SourceRecord write_source(Repository& repository, const std::string& name,
                          std::optional<std::chrono::seconds> expect_every) {
  if (name.empty()) fail(ErrorCode::usage, "a backup source needs a name");
  if (expect_every && expect_every->count() <= 0) {
    fail(ErrorCode::usage, "--expect-every must be longer than zero");
  }
  const auto sid = source_id(repository, name);
  const auto grouped =
      keyring::group_generations(repository.store().list(sources_prefix(repository) + sid + "/"));
  const auto versions = source_versions(grouped, sources_prefix(repository) + sid + "/");
  SourceRecord record;
  record.name = name;
  record.expect_every = expect_every;
  record.version = versions.empty() ? 1 : versions.rbegin()->first + 1;
  record.updated = util::now();
  const json doc{
      {"schema", "ward.backup.source/v1"},
      {"name", name},
      {"expect_every_seconds", expect_every ? json(expect_every->count()) : json(nullptr)},
      {"version", record.version},
      {"updated", util::format_time(record.updated)}};
  const auto logical =
      sources_prefix(repository) + sid + "/" + keyring::version_name(record.version);
  const auto text = doc.dump();
  const auto sealed =
      repository.ns().seal(ObjectType::backup_snapshot, logical, crypto::as_bytes(text));
  if (!repository.store().put_if_absent(keyring::generation_name(logical, 1), sealed)) {
    fail(ErrorCode::conflict, "the schedule of backup source '" + name + "' changed meanwhile",
         "retry");
  }
  return record;
}

VerificationRecord record_verification(Repository& repository, const VerifyOptions& options,
                                       const VerifyReport& report,
                                       std::vector<std::string> snapshot_ids) {
  VerificationRecord record;
  record.time = util::now();
  record.ok = report.problems.empty();
  record.read_data = options.read_data;
  record.read_subset = options.read_data ? 100.0 : options.read_subset;
  record.problems = report.problems.size();
  record.packs_read = report.packs_read;
  record.snapshots = std::move(snapshot_ids);
  const json doc{{"schema", "ward.backup.verification/v1"},
                 {"time", util::format_time(record.time)},
                 {"ok", record.ok},
                 {"read_data", record.read_data},
                 {"read_subset", record.read_subset},
                 {"problems", record.problems},
                 {"packs_read", record.packs_read},
                 {"snapshots", record.snapshots}};
  const auto prefix = verifications_prefix(repository);
  const auto logical =
      prefix + compact_time(record.time) + "-" + crypto::hex_encode(crypto::random_bytes(8));
  const auto text = doc.dump();
  const auto sealed =
      repository.ns().seal(ObjectType::backup_snapshot, logical, crypto::as_bytes(text));
  if (!repository.store().put_if_absent(keyring::generation_name(logical, 1), sealed)) {
    fail(ErrorCode::conflict, "verification record " + logical + " already exists");
  }
  // Only the newest runs matter to reports; older records are removed (names sort by time).
  const auto grouped = keyring::group_generations(repository.store().list(prefix));
  if (grouped.size() > k_kept_verifications) {
    std::vector<std::string> logicals;
    for (const auto& [name, generations] : grouped) logicals.push_back(name);
    std::sort(logicals.begin(), logicals.end());
    std::vector<std::string> doomed;
    for (std::size_t i = 0; i + k_kept_verifications < logicals.size(); ++i) {
      for (const auto g : grouped.at(logicals[i])) {
        doomed.push_back(keyring::generation_name(logicals[i], g));
      }
    }
    repository.store().remove_batch(doomed);
  }
  return record;
}

std::vector<VerificationRecord> read_verifications(Repository& repository) {
  std::vector<std::pair<std::string, VerificationRecord>> found;
  for (const auto& [logical, generations] :
       keyring::group_generations(repository.store().list(verifications_prefix(repository)))) {
    const auto plaintext =
        open_object(repository, ObjectType::backup_snapshot, logical, generations);
    if (!plaintext) continue;
    found.emplace_back(logical, decode_verification(parse_record(*plaintext, logical), logical));
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.second.time != b.second.time ? a.second.time > b.second.time : a.first > b.first;
  });
  std::vector<VerificationRecord> records;
  records.reserve(found.size());
  for (auto& [logical, record] : found) records.push_back(std::move(record));
  return records;
}

SourcesReport list_sources(Repository& repository, util::TimePoint now) {
  SourcesReport report;
  std::map<std::string, SourceStatus> by_name;
  for (auto& snapshot : repository.snapshots()) {
    auto& status = by_name[snapshot.source];
    status.name = snapshot.source;
    ++status.snapshots;
    if (!status.latest || status.latest->time <= snapshot.time) status.latest = std::move(snapshot);
  }
  for (const auto& record : read_sources(repository)) {
    auto& status = by_name[record.name];
    status.name = record.name;
    status.expect_every = record.expect_every;
    status.schedule_set = record.updated;
  }
  const auto verifications = read_verifications(repository);
  if (!verifications.empty()) report.last_verify = verifications.front();
  for (auto& [name, status] : by_name) {
    if (status.expect_every) {
      // A schedule set before any snapshot exists is due one period after it was set.
      const auto from = status.latest ? status.latest->time : *status.schedule_set;
      status.due_at = from + *status.expect_every;
      status.schedule = now >= *status.due_at ? ScheduleState::overdue : ScheduleState::ok;
    }
    if (status.latest) {
      for (const auto& v : verifications) {
        if (std::find(v.snapshots.begin(), v.snapshots.end(), status.latest->id) ==
            v.snapshots.end()) {
          continue;
        }
        status.last_verify = v;
        status.verify = v.ok ? VerifyState::verified : VerifyState::failed;
        break;
      }
    }
    report.sources.push_back(std::move(status));
  }
  return report;
}

const char* to_string(ScheduleState state) {
  switch (state) {
    case ScheduleState::unscheduled:
      return "unscheduled";
    case ScheduleState::ok:
      return "ok";
    case ScheduleState::overdue:
      return "overdue";
  }
  return "unknown";
}

const char* to_string(VerifyState state) {
  switch (state) {
    case VerifyState::verified:
      return "verified";
    case VerifyState::unverified:
      return "unverified";
    case VerifyState::failed:
      return "failed";
  }
  return "unknown";
}

}  // namespace ward::backup
