#include "providers.hpp"
#include "ward/backup/repository.hpp"
#include "ward/backup/sources.hpp"

namespace ward::policy::providers {

// Backup sources (src/backup/sources.cpp): a scheduled source whose latest snapshot is older
// than its `expect_every` — or that never had one, a period after the schedule was set — is
// overdue; a source whose latest snapshot no `backup verify` has covered is due, and one whose
// covering verify failed is overdue. Unscheduled sources are listed as ok, so a report can
// show them beside the planned ones.
std::vector<Item> backups(const Scope& scope) {
  backup::Repository repository(scope.ns);
  const auto report = backup::list_sources(repository, scope.options.now);
  std::vector<Item> items;
  for (const auto& source : report.sources) {
    Item item;
    item.kind = "backup";
    item.subject_id = backup::source_id(repository, source.name);
    item.subject = source.name;
    item.ns = scope.ns.name();
    item.due_at = source.due_at;
    settle(item, scope.options);
    std::string message;
    if (!source.expect_every) {
      message = "no schedule";
    } else if (!source.latest) {
      message =
          "expected every " + util::format_duration(*source.expect_every) + ", no snapshot yet";
    } else {
      message = "expected every " + util::format_duration(*source.expect_every) +
                ", latest snapshot " + util::format_time(source.latest->time);
    }
    if (source.latest) {
      switch (source.verify) {
        case backup::VerifyState::verified:
          message += "; verified " + util::format_time(source.last_verify->time);
          break;
        case backup::VerifyState::unverified:
          message += "; latest snapshot not verified (run `ward backup verify`)";
          if (item.state == State::ok) {
            item.state = State::due;
            item.severity = check::Severity::medium;
          }
          break;
        case backup::VerifyState::failed:
          message += "; the last verify covering it FAILED";
          item.state = State::overdue;
          item.severity = check::Severity::high;
          break;
      }
    }
    item.message = std::move(message);
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace ward::policy::providers
