#include "ward/rotate/rotation.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <thread>

#include "schedule.hpp"
#include "ward/check/connect.hpp"
#include "ward/ssh/session.hpp"
#include "ward/util/duration.hpp"

namespace ward::rotate {
namespace {

using vault::CredentialVersion;

std::string host_name() {
  std::array<char, 256> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0) return "localhost";
  return buffer.data();
}

std::string owner_token() { return host_name() + ":" + std::to_string(::getpid()); }

// Whether the rotation that wrote `pending` may still be running: on this host, whether its
// process is alive; elsewhere, whether it is younger than the lease.
bool in_progress(const CredentialVersion& pending, std::chrono::seconds lease) {
  const auto& owner = pending.pending_owner;
  const auto colon = owner.rfind(':');
  if (colon != std::string::npos && owner.substr(0, colon) == host_name()) {
    long pid = 0;
    const auto digits = std::string_view(owner).substr(colon + 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (error != std::errc{} || pid <= 0) return false;
    if (pid == ::getpid()) return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
  }
  try {
    return util::now() - util::parse_time(pending.created) < lease;
  } catch (const Error&) {
    return false;
  }
}

// A test hook: WARD_TEST_ROTATE_PAUSE=after-pending=SECONDS or after-change=SECONDS holds the
// rotation at that point, so the integration tests can stop a server or kill ward there.
void pause_point(std::string_view point) {
  const char* spec = std::getenv("WARD_TEST_ROTATE_PAUSE");
  if (spec == nullptr) return;
  const std::string_view text(spec);
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || text.substr(0, eq) != point) return;
  int seconds = 0;
  std::from_chars(text.data() + eq + 1, text.data() + text.size(), seconds);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
}

template <typename F>
auto locked(std::mutex* mutex, F&& body) {
  if (mutex == nullptr) return body();
  const std::lock_guard<std::mutex> guard(*mutex);
  return body();
}

std::string v(std::uint32_t version) { return "version " + std::to_string(version); }

std::string rerun_hint(const std::string& name) {
  return "run `ward cred rotate " + name +
         " --apply` again once the target is reachable: it asks the target which secret it "
         "accepts and keeps that one";
}

// Commits pending version `pending`: schedules the superseded version's revocation after the
// grace period (verified commits only), writes the commit, and with no grace retires the old
// version at once.
void commit(vault::Vault& vault, keyring::Namespace& ns, const std::string& name,
            std::uint32_t pending, std::uint32_t superseded, bool verified,
            const RotateOptions& options, const TargetContext& target, RotateResult& result) {
  std::optional<std::string> revoke_at;
  const auto due = util::now() + options.grace;
  if (verified && superseded != 0) {
    revoke_at = util::format_time(due);
    // The schedule goes first: a crash before the commit leaves an entry maintenance drops,
    // never a commit whose old version nobody revokes.
    locked(options.store_mutex,
           [&] { return schedule_revocation(ns, vault.id_of(name), superseded, due); });
  }
  const auto committed = locked(options.store_mutex, [&] {
    return vault.commit_pending(name, pending, options.actor, revoke_at);
  });
  result.current_version = committed.version;
  result.verified = verified;
  result.revoke_at = revoke_at.value_or("");
  if (!verified || superseded == 0 || options.grace.count() > 0) return;
  const auto retired = retire_version(vault, ns, vault.id_of(name), superseded, target,
                                      options.actor, options.store_mutex);
  if (retired.done) {
    result.previous_revoked = true;
  } else if (!retired.skipped) {
    result.warnings.push_back(v(superseded) + " is not yet retired on the target (" +
                              retired.error + "); `ward maintenance` retries");
  }
}

// A pending version left by an earlier run: asks the target which secret it accepts. Returns
// true when that settled the rotation (committed, or the failure recorded in result), false
// when the pending version was discarded and a new rotation may start.
bool resolve_leftover(vault::Vault& vault, keyring::Namespace& ns, const std::string& name,
                      const CredentialVersion& pending, const RotateOptions& options,
                      const TargetContext& target, RotateResult& result) {
  const auto p = pending.version;
  const auto m = pending.current_version;
  const auto current = locked(options.store_mutex, [&] { return vault.read(name); });
  const auto driver = driver_for(current);
  result.driver = driver->name();
  result.route = driver->describe(current);
  try {
    if (driver->accepts(pending, target) == Acceptance::accepted) {
      commit(vault, ns, name, p, m, /*verified=*/true, options, target, result);
      result.state = State::resolved;
      result.resolution =
          "the target accepts pending " + v(p) + " (left by an interrupted run): committed";
      return true;
    }
    if (driver->accepts(current, target) == Acceptance::accepted) {
      locked(options.store_mutex, [&] { return vault.discard_pending(name, p, options.actor); });
      result.resolution = "the target still accepts " + v(m) + ": pending " + v(p) +
                          " (left by an interrupted run) discarded";
      return false;
    }
    result.state = State::pending;
    result.error = Error(
        ErrorCode::auth,
        "the target (" + result.route + ") accepts neither pending " + v(p) + " nor current " +
            v(m) + " of '" + name + "': both stay in the store as they are",
        "fix the account on the target, then run `ward cred rotate " + name + " --apply` again");
    return true;
  } catch (const Error& e) {
    result.state = State::pending;
    result.error = Error(e.code(),
                         "cannot resolve pending " + v(p) + " of '" + name +
                             "' (left by an interrupted run): " + e.what() + "; " + v(m) +
                             " stays current and " + v(p) + " pending",
                         rerun_hint(name));
    return true;
  }
}

}  // namespace

std::string_view to_string(State state) {
  switch (state) {
    case State::rotated:
      return "rotated";
    case State::resolved:
      return "resolved";
    case State::committed_unverified:
      return "committed-unverified";
    case State::unchanged:
      return "unchanged";
    case State::pending:
      return "pending";
    case State::in_progress:
      return "in-progress";
  }
  return "unknown";
}

RotateResult rotate_on_target(vault::Vault& vault, keyring::Namespace& ns, const std::string& name,
                              const RotateOptions& options, const TargetContext& target) {
  RotateResult result;
  result.name = name;
  auto latest = locked(options.store_mutex, [&] { return vault.latest(name); });
  result.previous_version = latest.current_version;
  result.current_version = latest.current_version;
  if (latest.kind == vault::VersionKind::pending) {
    result.pending_version = latest.version;
    if (in_progress(latest, options.pending_lease)) {
      result.state = State::in_progress;
      result.error = Error(ErrorCode::conflict,
                           "another rotation of '" + name + "' is in progress (pending " +
                               v(latest.version) + ", written " + latest.created + " by " +
                               latest.actor + "); nothing was changed",
                           "retry when it has finished");
      return result;
    }
    if (resolve_leftover(vault, ns, name, latest, options, target, result)) return result;
    latest = locked(options.store_mutex, [&] { return vault.latest(name); });
  }
  if (latest.current_version == 0) {
    fail(ErrorCode::not_found,
         "credential '" + name + "' is revoked: it has no secret on a target to change",
         "add it again, or rotate it in the store only (without --apply)");
  }
  const auto current = locked(options.store_mutex, [&] { return vault.read(name); });
  const auto driver = driver_for(current);
  result.driver = driver->name();
  result.route = driver->describe(current);
  result.previous_version = current.version;
  result.current_version = current.version;

  // The new secret material: generated by the driver, or the one the user supplied.
  const auto policy = !options.policy.empty()              ? options.policy
                      : !current.generation_policy.empty() ? current.generation_policy
                                                           : std::string("default");
  NewSecret fresh;
  if (options.secret) {
    fresh.secrets[current.secret_field] = options.secret->clone();
    if (driver->name() == "ssh-key") {
      const auto line = ssh::public_key_line(options.secret->reveal());
      if (line.empty()) {
        fail(ErrorCode::usage, "the new private key of '" + name + "' is not in OpenSSH format",
             "use --generate: ward makes an Ed25519 key pair");
      }
      fresh.fields["public_key"] = line;
    }
  } else {
    fresh = driver->generate(current, policy);
  }
  std::map<std::string, crypto::SecretBytes> secrets;
  for (const auto& [field, value] : current.secrets) secrets[field] = value.clone();
  for (auto& [field, value] : fresh.secrets) secrets[field] = std::move(value);

  // 1. The pending version: a concurrent rotation loses here (Error(conflict), exit 5) before
  //    it has touched the target.
  const auto pending = locked(options.store_mutex, [&] {
    return vault.begin_pending(name, std::move(secrets), fresh.fields,
                               options.secret ? std::string() : policy, options.actor,
                               owner_token());
  });
  const auto p = pending.version;
  const auto m = current.version;
  result.pending_version = p;
  pause_point("after-pending");

  // 2. The change on the target.
  try {
    driver->change(current, pending, target);
  } catch (const ChangeError& e) {
    if (!e.sent()) {
      locked(options.store_mutex, [&] { return vault.discard_pending(name, p, options.actor); });
      result.state = State::unchanged;
      result.error = Error(e.code(),
                           "nothing changed on the target: " + std::string(e.what()) + "; " + v(m) +
                               " (the old secret) is still current and still works; the "
                               "pending " +
                               v(p) + " was discarded",
                           e.hint());
      return result;
    }
    result.state = State::pending;
    result.error =
        Error(e.code(),
              "the change may or may not have reached the target: " + std::string(e.what()) +
                  "; pending " + v(p) + " is kept and " + v(m) + " stays current in the store",
              rerun_hint(name));
    return result;
  }
  pause_point("after-change");

  // 3. Verification over the credential's real path.
  std::optional<Error> verify_error;
  bool verified = false;
  try {
    verified = driver->accepts(pending, target) == Acceptance::accepted;
    if (!verified) {
      // The target acknowledged the change yet refuses the new secret: did it keep the old?
      if (driver->accepts(current, target) == Acceptance::accepted) {
        locked(options.store_mutex, [&] { return vault.discard_pending(name, p, options.actor); });
        result.state = State::unchanged;
        result.error = Error(ErrorCode::auth,
                             "the target acknowledged the change but still accepts only the old "
                             "secret: " +
                                 v(m) +
                                 " is still current and still works; the "
                                 "pending " +
                                 v(p) + " was discarded",
                             "check what the target does with password changes");
        return result;
      }
      result.state = State::pending;
      result.error = Error(
          ErrorCode::auth,
          "the target (" + result.route +
              ") accepts neither the new secret "
              "(pending " +
              v(p) + ") nor the old one (" + v(m) + ")",
          "fix the account on the target, then run `ward cred rotate " + name + " --apply` again");
      return result;
    }
  } catch (const Error& e) {
    verify_error = e;
  }

  // 4. Commit. The target has the new secret either way; unverified, the old version is kept.
  commit(vault, ns, name, p, m, verified, options, target, result);
  if (!verified) {
    result.state = State::committed_unverified;
    result.error =
        Error(verify_error->code(),
              "the target accepted the new secret and " + v(result.current_version) +
                  " is current in the store, but ward could not verify it over " + result.route +
                  ": " + verify_error->what() + "; " + v(m) +
                  " (the old secret) stays readable and is not retired",
              "`ward check source " + name + "` verifies it once the target is reachable");
    return result;
  }
  result.state = State::rotated;
  return result;
}

RevokeOnTargetResult revoke_on_target(vault::Vault& vault, const std::string& name, bool purge,
                                      const std::string& actor, const TargetContext& target) {
  const auto newest = vault.latest(name);
  const auto current = vault.read(name);
  const auto driver = driver_for(current);
  RevokeOnTargetResult result;
  result.driver = driver->name();
  result.route = driver->describe(current);
  // Versions the target may still accept besides the current one — superseded ones in their
  // grace period, a pending one — go first, while the current secret can still log in.
  for (const auto& [version, when] : newest.revoke_after) {
    if (newest.revoked.contains(version) || version == current.version) continue;
    driver->retire(current, vault.read(name, version), target);
  }
  if (newest.kind == vault::VersionKind::pending) driver->retire(current, newest, target);
  driver->disable(current, target);
  result.store = vault.revoke(name, std::nullopt, purge, actor);
  return result;
}

}  // namespace ward::rotate
