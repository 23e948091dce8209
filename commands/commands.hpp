#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "context.hpp"

namespace ward::cli {

// A leaf subcommand's work, run after parsing and option resolution are complete (CLI11's own
// callbacks would run before the global options are resolved).
using Action = std::function<void()>;
void set_action(CLI::App* command, Action action);
void run_selected(CLI::App& app);

// One registration function per command group, each in its own file.
void register_init(CLI::App& app, Context& ctx);
void register_key(CLI::App& app, Context& ctx);
void register_cred(CLI::App& app, Context& ctx);
void register_passwd(CLI::App& app, Context& ctx);
void register_audit(CLI::App& app, Context& ctx);
void register_store(CLI::App& app, Context& ctx);
void register_ns(CLI::App& app, Context& ctx);
void register_maintenance(CLI::App& app, Context& ctx);
void register_backup(CLI::App& app, Context& ctx);
void register_check(CLI::App& app, Context& ctx);
// Adds ssh, source and all to the `check` group (after register_check).
void register_check_sources(CLI::App& app, Context& ctx);
void register_tunnel(CLI::App& app, Context& ctx);
void register_redact(CLI::App& app, Context& ctx);
void register_status(CLI::App& app, Context& ctx);

}  // namespace ward::cli
