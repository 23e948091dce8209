#include "ward/redact/run_record.hpp"

#include <algorithm>
#include <map>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"
#include "ward/keyring/envelope.hpp"
#include "ward/keyring/generations.hpp"
#include "ward/util/duration.hpp"

namespace ward::redact {
namespace {

using keyring::ObjectType;

// 2026-11-23T17:00:00Z → 20261123T170000Z: sortable, no characters a backend might mind.
std::string compact_time(const std::string& rfc3339) {
  std::string out;
  for (const char c : rfc3339) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

// Orders runs that started in one second (names sort by time, and times are whole seconds):
// the nanoseconds of the save when it falls in the start's second, else the second's end, since
// a run that saved later than its start's second has no successor that started in it.
std::string within_second(const std::string& started) {
  const auto moment = util::precise_now();
  std::uint32_t nanos = 999'999'999;
  if (util::format_time(moment.second) == started) nanos = moment.nanos;
  auto digits = std::to_string(nanos);
  return std::string(9 - digits.size(), '0') + digits;
}

template <typename T>
T value_or(const nlohmann::json& document, const char* key, T fallback) {
  const auto found = document.find(key);
  if (found == document.end() || found->is_null()) return fallback;
  return found->get<T>();
}

}  // namespace

nlohmann::json to_json(const RunRecord& record) {
  nlohmann::json document = {
      {"schema", "ward.redact.run/v1"},
      {"job", record.job},
      {"started", record.started},
      {"finished", record.finished},
      {"duration_ms", record.duration_ms},
      {"status", record.status},
      {"detectors", record.detectors},
      {"columns", record.columns},
      {"rows_touched", record.rows_touched},
      {"files_touched", record.files_touched},
      {"items", record.items},
      {"targets", record.targets},
  };
  document["expect_every"] = record.expect_every
                                 ? nlohmann::json(util::format_duration(*record.expect_every))
                                 : nlohmann::json(nullptr);
  if (!record.error.empty()) document["error"] = record.error;
  return document;
}

RunRecord run_record_from_json(const nlohmann::json& document) {
  try {
    RunRecord record;
    record.job = document.at("job").get<std::string>();
    record.started = document.at("started").get<std::string>();
    record.finished = value_or<std::string>(document, "finished", "");
    record.duration_ms = value_or<std::int64_t>(document, "duration_ms", 0);
    record.status = value_or<std::string>(document, "status", "ok");
    record.error = value_or<std::string>(document, "error", "");
    if (const auto every = document.find("expect_every");
        every != document.end() && every->is_string()) {
      record.expect_every = util::parse_duration(every->get<std::string>());
    }
    record.detectors = value_or<std::map<std::string, std::uint64_t>>(document, "detectors", {});
    record.columns = value_or<std::map<std::string, std::uint64_t>>(document, "columns", {});
    record.rows_touched = value_or<std::uint64_t>(document, "rows_touched", 0);
    record.files_touched = value_or<std::uint64_t>(document, "files_touched", 0);
    record.items = value_or<std::uint64_t>(document, "items", 0);
    record.targets = value_or<std::vector<std::string>>(document, "targets", {});
    return record;
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorCode::auth, std::string("redaction run record is malformed: ") + e.what());
  }
}

RunStore::RunStore(keyring::Namespace& ns) : m_ns(ns) {}

std::string RunStore::job_prefix(std::string_view job) const {
  return "redact/" + m_ns.id() + "/" + m_ns.object_id("redact-job:" + std::string(job)) + "/";
}

std::string RunStore::save(const RunRecord& record) {
  const auto prefix = job_prefix(record.job);
  const auto when = record.started.empty() ? util::format_time(util::now()) : record.started;
  auto logical = prefix + compact_time(when) + "." + within_second(when) + "-" +
                 crypto::hex_encode(crypto::random_bytes(6));
  const auto text = to_json(record).dump();
  const auto sealed =
      m_ns.seal(ObjectType::redact_run, logical,
                std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  if (!m_ns.store().put_if_absent(keyring::generation_name(logical, 1), sealed)) {
    fail(ErrorCode::conflict, "a redaction run record with the same name exists already", "retry");
  }
  const auto stored = keyring::group_generations(m_ns.store().list(prefix));
  if (stored.size() > k_kept_runs) {
    std::vector<std::string> doomed;
    std::size_t excess = stored.size() - k_kept_runs;
    for (const auto& [name, generations] : stored) {  // oldest first: names sort by time
      if (excess == 0) break;
      --excess;
      for (const auto g : generations) doomed.push_back(keyring::generation_name(name, g));
    }
    m_ns.store().remove_batch(doomed);
  }
  return logical;
}

RunRecord RunStore::load(const std::string& logical, std::uint32_t generation) {
  const auto bytes = m_ns.store().get(keyring::generation_name(logical, generation));
  if (!bytes) {
    fail(ErrorCode::not_found, "redaction run record " + logical + " disappeared while reading");
  }
  const auto plaintext = m_ns.open(ObjectType::redact_run, logical, *bytes);
  const auto document = nlohmann::json::parse(plaintext.reveal(), nullptr, false);
  if (document.is_discarded()) {
    fail(ErrorCode::auth, "redaction run record " + logical + " is not JSON");
  }
  return run_record_from_json(document);
}

std::vector<RunRecord> RunStore::runs(std::string_view job) {
  std::vector<RunRecord> out;
  for (const auto& [logical, generations] :
       keyring::group_generations(m_ns.store().list(job_prefix(job)))) {
    out.push_back(load(logical, generations.front()));
  }
  return out;
}

std::vector<RunRecord> RunStore::latest_all() {
  const auto stored = keyring::group_generations(m_ns.store().list("redact/" + m_ns.id() + "/"));
  std::map<std::string, std::pair<std::string, std::uint32_t>> newest;  // job dir → newest
  for (const auto& [logical, generations] : stored) {
    newest[logical.substr(0, logical.rfind('/'))] = {logical, generations.front()};
  }
  std::vector<RunRecord> out;
  out.reserve(newest.size());
  for (const auto& [dir, entry] : newest) out.push_back(load(entry.first, entry.second));
  std::ranges::sort(out, {}, &RunRecord::job);
  return out;
}

std::vector<RunRecord> list_runs(keyring::Namespace& ns, const ListRunsOptions& options) {
  RunStore store(ns);
  if (options.job) {
    auto runs = store.runs(*options.job);
    if (options.latest_only && runs.size() > 1) runs.erase(runs.begin(), runs.end() - 1);
    return runs;
  }
  if (options.latest_only) return store.latest_all();
  // Every run of every job: group by job directory, jobs ordered by name.
  const auto stored = keyring::group_generations(ns.store().list("redact/" + ns.id() + "/"));
  std::vector<RunRecord> out;
  for (const auto& [logical, generations] : stored) {
    out.push_back(store.load(logical, generations.front()));
  }
  std::ranges::stable_sort(out, {}, &RunRecord::job);
  return out;
}

}  // namespace ward::redact
