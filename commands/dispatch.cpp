#include <map>

#include "commands.hpp"
#include "ward/error.hpp"

namespace ward::cli {
namespace {

std::map<const CLI::App*, Action>& actions() {
  static std::map<const CLI::App*, Action> registry;
  return registry;
}

}  // namespace

void set_action(CLI::App* command, Action action) { actions()[command] = std::move(action); }

void run_selected(CLI::App& app) {
  const CLI::App* leaf = &app;
  for (;;) {
    const auto selected = leaf->get_subcommands();
    if (selected.empty()) break;
    leaf = selected.front();
  }
  const auto found = actions().find(leaf);
  if (found == actions().end()) {
    fail(ErrorCode::usage, "'" + leaf->get_name() + "' needs a subcommand",
         "see ward " + leaf->get_name() + " --help");
  }
  found->second();
}

}  // namespace ward::cli
