#include "ward/audit/event.hpp"

#include <pwd.h>
#include <unistd.h>

#include <array>
#include <cstdlib>

#include "ward/error.hpp"
#include "ward/util/json_integer.hpp"

namespace ward::audit {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

std::string Actor::display() const {
  std::string out = user + "@" + host;
  if (auto provider = ci.find("provider"); provider != ci.end()) {
    out += " (" + provider->second;
    if (auto job = ci.find("job"); job != ci.end()) out += " job " + job->second;
    if (auto run = ci.find("run"); run != ci.end()) out += " run " + run->second;
    out += ")";
  }
  return out;
}

Actor current_actor() {
  Actor actor;
  actor.uid = ::getuid();
  if (const passwd* pw = ::getpwuid(actor.uid); pw != nullptr && pw->pw_name != nullptr) {
    actor.user = pw->pw_name;
  } else {
    actor.user = env("USER").empty() ? "uid" + std::to_string(actor.uid) : env("USER");
  }
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0) actor.host = host.data();
  struct Provider {
    const char* marker;
    const char* name;
    const char* job;
    const char* run;
  };
  static constexpr std::array<Provider, 5> providers = {{
      {"GITHUB_ACTIONS", "github-actions", "GITHUB_JOB", "GITHUB_RUN_ID"},
      {"GITLAB_CI", "gitlab-ci", "CI_JOB_ID", "CI_PIPELINE_ID"},
      {"JENKINS_URL", "jenkins", "JOB_NAME", "BUILD_NUMBER"},
      {"BUILDKITE", "buildkite", "BUILDKITE_JOB_ID", "BUILDKITE_BUILD_NUMBER"},
      {"CI", "ci", "CI_JOB_ID", "CI_RUN_ID"},
  }};
  for (const auto& provider : providers) {
    if (env(provider.marker).empty()) continue;
    actor.ci["provider"] = provider.name;
    if (!env(provider.job).empty()) actor.ci["job"] = env(provider.job);
    if (!env(provider.run).empty()) actor.ci["run"] = env(provider.run);
    break;
  }
  return actor;
}

nlohmann::json Event::to_json() const {
  nlohmann::json actor_json{{"user", actor.user}, {"host", actor.host}, {"uid", actor.uid}};
  if (!actor.ci.empty()) actor_json["ci"] = actor.ci;
  return {{"schema", "ward.audit.event/v1"},
          {"seq", seq},
          {"time", time},
          {"actor", actor_json},
          {"action", action},
          {"namespace", ns},
          {"target", target},
          {"target_id", target_id},
          {"outcome", outcome},
          {"code", code},
          {"details", details},
          {"prev", prev}};
}

Event Event::from_json(const nlohmann::json& document) {
  try {
    Event event;
    event.seq = util::json_integer<std::uint64_t>(document.at("seq"));
    event.time = document.at("time").get<std::string>();
    const auto& actor = document.at("actor");
    event.actor.user = actor.at("user").get<std::string>();
    event.actor.host = actor.at("host").get<std::string>();
    event.actor.uid = util::json_integer<std::uint32_t>(actor.at("uid"));
    if (actor.contains("ci"))
      event.actor.ci = actor.at("ci").get<std::map<std::string, std::string>>();
    event.action = document.at("action").get<std::string>();
    event.ns = document.at("namespace").get<std::string>();
    event.target = document.at("target").get<std::string>();
    event.target_id = document.at("target_id").get<std::string>();
    event.outcome = document.at("outcome").get<std::string>();
    event.code = util::json_integer<int>(document.at("code"));
    event.details = document.at("details");
    event.prev = document.at("prev").get<std::string>();
    return event;
  } catch (const nlohmann::json::exception&) {
    fail(ErrorCode::auth, "audit event has malformed content");
  }
}

}  // namespace ward::audit
