#include <algorithm>

#include "sections.hpp"
#include "ward/vault/vault.hpp"

namespace ward::report::detail {
namespace {

const policy::Item* find_item(const Report& report, std::string_view kind, const std::string& ns,
                              const std::string& subject_id) {
  for (const auto& item : report.policy_items) {
    if (item.kind == kind && item.ns == ns && item.subject_id == subject_id) return &item;
  }
  return nullptr;
}

std::int64_t days_between(util::TimePoint from, util::TimePoint to) {
  return std::chrono::duration_cast<std::chrono::hours>(to - from).count() / 24;
}

// Whether a secret field holds something a person may have chosen (and so can be weak).
bool judged_for_strength(const std::string& field) {
  return field != "private_key" && field != "sslkey";
}

}  // namespace

void credentials(keyring::Namespace& ns, const Options& options, Report& report) {
  vault::Vault vault(ns);
  for (const auto& c : vault.list()) {
    Credential entry;
    entry.ns = ns.name();
    entry.name = c.name;
    entry.id = c.id;
    entry.type = c.type;
    entry.created = c.created;
    entry.current_version = c.current_version;
    entry.latest_version = c.latest_version;
    entry.revoked_versions = c.revoked_versions;
    entry.rotate_every = c.rotate_every;
    entry.last_rotated = c.updated;
    if (c.current_version == 0) {
      entry.strength = "revoked";
    } else {
      const auto current = vault.read(c.name);
      entry.last_rotated = current.created;
      if (!current.generation_policy.empty()) {
        entry.strength = "generated";
      } else if (!judged_for_strength(current.secret_field)) {
        entry.strength = "not judged";
      } else {
        const auto secret = current.secrets.find(current.secret_field);
        entry.strength =
            secret == current.secrets.end()
                ? "not judged"
                : (crypto::assess_strength(secret->second, options.strength).acceptable ? "ok"
                                                                                        : "weak");
      }
    }
    entry.age_days = days_between(util::parse_time(entry.last_rotated), options.now);
    if (const auto* item = find_item(report, "credential", ns.name(), c.id)) {
      entry.rotation = item->state;
      entry.due_at = item->due_at;
    }
    if (entry.current_version == 0) {
      report.findings.push_back({"credential.revoked",
                                 "credentials",
                                 check::Severity::info,
                                 ns.name(),
                                 c.name,
                                 "revoked: no current secret",
                                 {}});
    } else if (entry.rotation != policy::State::ok) {
      const bool overdue = entry.rotation == policy::State::overdue;
      report.findings.push_back(
          {overdue ? "credential.rotation.overdue" : "credential.rotation.due",
           "credentials",
           overdue ? check::Severity::high : check::Severity::medium,
           ns.name(),
           c.name,
           std::string(overdue ? "rotation overdue since " : "rotation due ") +
               util::format_time(*entry.due_at),
           {}});
    } else if (!entry.rotate_every) {
      report.findings.push_back({"credential.rotation.unscheduled",
                                 "credentials",
                                 check::Severity::low,
                                 ns.name(),
                                 c.name,
                                 "no rotation policy (--rotate-every)",
                                 {}});
    }
    if (entry.strength == "weak") {
      report.findings.push_back({"credential.weak",
                                 "credentials",
                                 check::Severity::high,
                                 ns.name(),
                                 c.name,
                                 "the current secret fails the strength policy",
                                 {}});
    }
    report.credentials.push_back(std::move(entry));
  }
}

void keys(keyring::Keyring& keyring, keyring::Namespace& ns, const Options& options,
          Report& report) {
  const auto usage = ns.kek_usage();
  for (const auto& v : ns.kek_versions()) {
    KeyVersion entry;
    entry.ns = ns.name();
    entry.version = v.version;
    entry.created = v.created;
    entry.age_days = days_between(v.created, options.now);
    entry.current = v.current;
    entry.objects = usage.contains(v.version) ? usage.at(v.version) : 0;
    entry.state = v.current ? "current" : (entry.objects > 0 ? "rewrap pending" : "retirable");
    const auto subject = "kek/v" + std::to_string(v.version);
    if (const auto* item = find_item(report, "key", ns.name(), subject)) {
      entry.rotation = item->state;
      entry.due_at = item->due_at;
    }
    if (entry.rotation != policy::State::ok) {
      const bool overdue = entry.rotation == policy::State::overdue;
      report.findings.push_back({overdue ? "key.rotation.overdue" : "key.rotation.due",
                                 "keys",
                                 overdue ? check::Severity::high : check::Severity::medium,
                                 ns.name(),
                                 "KEK v" + std::to_string(v.version),
                                 "created " + util::format_time(v.created) + ", policy " +
                                     util::format_duration(keyring.config().kek_max_age),
                                 {}});
    }
    if (entry.state == "rewrap pending") {
      report.findings.push_back(
          {"key.rewrap.pending",
           "keys",
           check::Severity::low,
           ns.name(),
           "KEK v" + std::to_string(v.version),
           std::to_string(entry.objects) + " object(s) still wrapped by a superseded key version",
           {}});
    }
    report.keys.push_back(std::move(entry));
  }
}

}  // namespace ward::report::detail
