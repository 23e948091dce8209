#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace ward::audit {

// Who acted: the OS user and host, and the CI job when run from one.
struct Actor {
  std::string user;
  std::string host;
  std::uint32_t uid = 0;
  std::map<std::string, std::string> ci;      // provider, job, run, pipeline, ref...
  [[nodiscard]] std::string display() const;  // user@host (+ CI job)
};

// Reads the actor from the process and the CI environment (GitHub Actions, GitLab CI,
// Jenkins, Buildkite, generic CI=true).
Actor current_actor();

// One audit event (schema ward.audit.event/v1). Never holds a secret value: targets are
// names and store ids, details are counts and versions.
struct Event {
  std::uint64_t seq = 0;
  std::string time;
  Actor actor;
  std::string action;     // cred.get, cred.rotate, key.rewrap...
  std::string ns;         // namespace name, if any
  std::string target;     // credential name or other entity name, if any
  std::string target_id;  // its store id
  std::string outcome;    // ok | error
  int code = 0;           // exit code of the failure, 0 when ok
  nlohmann::json details = nlohmann::json::object();
  std::string prev;  // hex SHA-256 of the previous event's plaintext

  [[nodiscard]] nlohmann::json to_json() const;
  static Event from_json(const nlohmann::json& document);  // throws Error(auth)
};

}  // namespace ward::audit
