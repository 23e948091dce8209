#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ward/check/probe.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/util/duration.hpp"

// What is due or overdue: the one place where ward judges schedules (DESIGN.md "policy/").
// `cred list`, `key status`, `status` and `audit report` all read their verdicts from here, so
// two commands can never disagree on whether something is late.
//
// Adding a provider (backups, redaction jobs, …) is one file and one line:
//   1. src/policy/<kind>.cpp defines `std::vector<Item> <kind>(const Scope& scope)` in
//      namespace ward::policy::providers (declared in src/policy/providers.hpp). It reads what
//      it judges from the core modules, builds one Item per subject, and sets each Item's
//      state with `judge(due_at, scope.options)` so every provider treats the window alike.
//   2. src/policy/registry.cpp lists it: `{"<kind>", providers::<kind>}`.
// A provider never prints and never throws for "nothing to judge" (return an empty list); it
// lets store and authentication errors travel (they are not findings).
namespace ward::policy {

// Worst last: sorting by state puts overdue items first when reversed.
enum class State { ok, due, overdue };
[[nodiscard]] std::string_view to_string(State state);

// One judged subject: a credential, a key version, a certificate, a backup source, a job.
struct Item {
  std::string kind;        // provider name: "credential", "key", "certificate", …
  std::string subject_id;  // store-side id (credential id, "kek/v3", check target id)
  std::string subject;     // what a person calls it: credential name, "KEK v3", host:port
  std::string ns;          // namespace name
  std::optional<util::TimePoint> due_at;  // when it is (or was) due; none: no schedule
  State state = State::ok;
  check::Severity severity = check::Severity::info;
  std::string message;  // one line, never a secret value
};

struct Options {
  util::TimePoint now = util::now();
  // Items due within this window count as `due` (`ward status --due 14d`); zero: only overdue.
  std::chrono::seconds window{0};
  // The KEK rotation policy; none: the store's (`kek_max_age` in config, 90d by default).
  std::optional<std::chrono::seconds> kek_max_age;
  // The rotation policy for credentials that have none of their own; none: such credentials
  // have no schedule and are always ok.
  std::optional<std::chrono::seconds> default_rotate_every;
  // Provider names to run; empty: all of them.
  std::set<std::string> kinds;
};

// What a provider gets: the unlocked keyring, the namespace to judge and the options.
struct Scope {
  keyring::Keyring& keyring;
  keyring::Namespace& ns;
  const Options& options;
};

using Provider = std::vector<Item> (*)(const Scope& scope);
struct ProviderEntry {
  std::string_view kind;
  Provider evaluate;
};
// Every provider, in one list (src/policy/registry.cpp).
[[nodiscard]] const std::vector<ProviderEntry>& registered_providers();

// The state of something due at `due_at`: overdue once `now` has reached it, due when it falls
// within the window, ok otherwise. Also sets a severity: overdue high, due medium, ok info.
struct Judgement {
  State state = State::ok;
  check::Severity severity = check::Severity::info;
};
[[nodiscard]] Judgement judge(util::TimePoint due_at, const Options& options);
// Applies judge() to an item with a due_at (items without one stay ok).
void settle(Item& item, const Options& options);

// Runs every selected provider over the given namespaces (all of them when empty) and returns
// the items worst first: overdue, then due, then ok; earlier due_at first within a state.
[[nodiscard]] std::vector<Item> evaluate(keyring::Keyring& keyring,
                                         const std::vector<std::string>& namespaces,
                                         const Options& options);
// Sorts worst first, as evaluate() returns them.
void sort_worst_first(std::vector<Item>& items);

// Whether a judging command (`status`, `key status --check`) should exit 1.
[[nodiscard]] bool any_late(const std::vector<Item>& items);

}  // namespace ward::policy
