#include "commands.hpp"
#include "output.hpp"
#include "ward/error.hpp"
#include "ward/policy/policy.hpp"

namespace ward::cli {
namespace {

nlohmann::json item_json(const policy::Item& item) {
  nlohmann::json j{{"kind", item.kind},
                   {"namespace", item.ns},
                   {"subject", item.subject},
                   {"subject_id", item.subject_id},
                   {"state", policy::to_string(item.state)},
                   {"severity", check::to_string(item.severity)},
                   {"message", item.message}};
  j["due_at"] = item.due_at ? nlohmann::json(util::format_time(*item.due_at)) : nlohmann::json();
  return j;
}

void status(Context& ctx, const std::string& window_text) {
  policy::Options options;
  options.window = util::parse_duration(window_text);
  // One gate over the whole store unless --ns names one tenant.
  std::vector<std::string> namespaces;
  if (!ctx.options.ns.empty()) namespaces.push_back(ctx.options.ns);
  const auto items = policy::evaluate(ctx.keyring(), namespaces, options);
  std::size_t overdue = 0;
  std::size_t due = 0;
  for (const auto& item : items) {
    if (item.state == policy::State::overdue) ++overdue;
    if (item.state == policy::State::due) ++due;
  }
  const auto window = util::format_duration(options.window);
  if (ctx.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& item : items) list.push_back(item_json(item));
    print_json(
        {{"schema", "ward.status/v1"},
         {"checked_at", util::format_time(options.now)},
         {"window_seconds", options.window.count()},
         {"ok", overdue + due == 0},
         {"counts", {{"overdue", overdue}, {"due", due}, {"ok", items.size() - overdue - due}}},
         {"items", list}});
  } else {
    Table table{{"STATE", "SEVERITY", "KIND", "NAMESPACE", "SUBJECT", "DUE", "MESSAGE"}, {}};
    for (const auto& item : items) {
      if (item.state == policy::State::ok)
        continue;  // the JSON lists them; a gate shows what is late
      table.rows.push_back({std::string(policy::to_string(item.state)),
                            std::string(check::to_string(item.severity)), item.kind, item.ns,
                            item.subject, item.due_at ? util::format_time(*item.due_at) : "-",
                            item.message});
    }
    if (!table.rows.empty()) table.print();
    print_line(std::to_string(overdue) + " overdue, " + std::to_string(due) + " due within " +
               window + ", " + std::to_string(items.size() - overdue - due) + " ok");
  }
  if (overdue + due > 0) {
    fail(ErrorCode::findings,
         std::to_string(overdue) + " item(s) overdue, " + std::to_string(due) + " due within " +
             window,
         "rotate what is due (`ward cred rotate`, `ward key rotate`), renew certificates, and "
         "see `ward audit report` for the whole picture");
  }
}

}  // namespace

void register_status(CLI::App& app, Context& ctx) {
  auto window = std::make_shared<std::string>("14d");
  auto* command = app.add_subcommand(
      "status",
      "One gate over everything due or overdue (credentials, keys, certificates, backups)");
  command->add_option("--due", *window,
                      "Also fail on what falls due within this window (default 14d; 0s: only "
                      "overdue)");
  command->footer(
      "Exit status: 0 nothing due, 1 something is overdue or due within the window.\n"
      "Without --ns every namespace is judged.");
  set_action(command, [&ctx, window] { status(ctx, *window); });
}

}  // namespace ward::cli
