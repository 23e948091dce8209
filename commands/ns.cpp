#include "commands.hpp"
#include "output.hpp"
#include "ward/error.hpp"

namespace ward::cli {

void register_ns(CLI::App& app, Context& ctx) {
  auto* ns = app.add_subcommand("ns", "Namespaces (tenants), each with its own keys");
  ns->require_subcommand(1);

  auto* list = ns->add_subcommand("list", "List namespaces");
  set_action(list, [&ctx] {
    const auto names = ctx.keyring().namespace_names();
    if (ctx.json()) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& name : names)
        out.push_back({{"name", name}, {"id", ctx.keyring().namespace_id(name)}});
      print_json({{"schema", "ward.ns.list/v1"}, {"namespaces", out}});
      return;
    }
    Table table{{"NAMESPACE", "ID"}, {}};
    for (const auto& name : names) table.rows.push_back({name, ctx.keyring().namespace_id(name)});
    table.print();
  });

  auto create_name = std::make_shared<std::string>();
  auto* create = ns->add_subcommand("create", "Create a namespace with its own key chain");
  create->add_option("NAME", *create_name, "Namespace name")->required();
  set_action(create, [&ctx, create_name] {
    ctx.audited("ns.create", *create_name, "",
                [&](nlohmann::json&) { ctx.keyring().create_namespace(*create_name); });
    if (ctx.json()) {
      print_json({{"schema", "ward.ns.create/v1"},
                  {"name", *create_name},
                  {"id", ctx.keyring().namespace_id(*create_name)}});
    } else {
      print_line("created namespace " + *create_name);
    }
  });

  auto destroy_name = std::make_shared<std::string>();
  auto yes = std::make_shared<bool>(false);
  auto* destroy =
      ns->add_subcommand("destroy", "Crypto-shred a namespace: its keys, then its objects");
  destroy->add_option("NAME", *destroy_name, "Namespace name")->required();
  destroy->add_flag("--yes", *yes, "Confirm: this cannot be undone");
  set_action(destroy, [&ctx, destroy_name, yes] {
    if (!*yes)
      fail(ErrorCode::usage, "destroying a namespace cannot be undone", "add --yes to confirm");
    std::size_t removed = 0;
    ctx.audited("ns.destroy", *destroy_name, "", [&](nlohmann::json& details) {
      removed = ctx.keyring().destroy_namespace(*destroy_name);
      details["objects_removed"] = removed;
    });
    if (ctx.json()) {
      print_json({{"schema", "ward.ns.destroy/v1"},
                  {"name", *destroy_name},
                  {"objects_removed", removed}});
    } else {
      print_line("destroyed namespace " + *destroy_name + " (" + std::to_string(removed) +
                 " objects)");
    }
  });
}

}  // namespace ward::cli
