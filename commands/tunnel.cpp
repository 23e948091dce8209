// `ward tunnel`: local port forwarding through a bastion, for operators reaching a source that
// only the bastion can see.
#include <csignal>

#include "commands.hpp"
#include "output.hpp"
#include "ward/check/connect.hpp"
#include "ward/check/net.hpp"
#include "ward/error.hpp"
#include "ward/vault/vault.hpp"

namespace ward::cli {
namespace {

struct TunnelOptions {
  std::string name;
  std::string via;
  std::string to;
  std::string listen = "127.0.0.1:0";
  int timeout_s = 10;
};

// ADDRESS:PORT or [V6]:PORT, where port 0 means any free port.
check::net::Endpoint parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    fail(ErrorCode::usage, "--listen '" + text + "' needs ADDRESS:PORT (port 0: any free port)");
  }
  check::net::Endpoint endpoint;
  endpoint.host = text.substr(0, colon);
  if (endpoint.host.size() >= 2 && endpoint.host.front() == '[' && endpoint.host.back() == ']') {
    endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  }
  const auto port = text.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoul(port) > 65535) {
    fail(ErrorCode::usage, "--listen '" + text + "': port must be a number from 0 to 65535");
  }
  endpoint.port = static_cast<std::uint16_t>(std::stoul(port));
  return endpoint;
}

// Set by SIGINT/SIGTERM; the forwarding loop polls it and closes every connection cleanly.
std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int /*signal*/) { g_interrupted.store(true); }

void run_tunnel(Context& ctx, const TunnelOptions& options) {
  vault::Vault vault(ctx.ns());
  std::string bastion_name = options.via;
  check::net::Endpoint target;
  if (!options.via.empty()) {
    if (options.to.empty()) fail(ErrorCode::usage, "--via needs --to HOST:PORT");
    target = check::net::parse_endpoint(options.to, 0);
    if (target.port == 0) fail(ErrorCode::usage, "--to needs a port: HOST:PORT");
  } else {
    if (options.name.empty()) {
      fail(ErrorCode::usage, "name a credential, or give --via BASTION --to HOST:PORT");
    }
    const auto source = vault.read(options.name);
    bastion_name = check::field_or(source, "bastion");
    if (bastion_name.empty()) {
      fail(ErrorCode::usage, "credential '" + options.name + "' names no bastion",
           "add one with `ward cred rotate " + options.name +
               " --field bastion=NAME`, or use --via BASTION --to HOST:PORT");
    }
    target.host = check::field_or(source, "host");
    target.port = check::port_field(source, source.type == "postgres" ? 5432 : 0);
    if (target.host.empty() || target.port == 0) {
      fail(ErrorCode::usage, "credential '" + options.name + "' has no host and port to reach");
    }
  }
  const auto listen = parse_listen(options.listen);
  const auto bastion = vault.read(bastion_name);
  const std::chrono::milliseconds timeout{std::chrono::seconds(options.timeout_s)};

  std::unique_ptr<ssh::Forwarder> forwarder;
  ctx.audited("tunnel.open", bastion_name, vault.id_of(bastion_name), [&](nlohmann::json& d) {
    d["to"] = target.text();
    forwarder = std::make_unique<ssh::Forwarder>(check::connect_ssh(bastion, timeout), target.host,
                                                 target.port, listen.host, listen.port);
    d["listen"] = forwarder->listen_address();
  });
  if (ctx.json()) {
    print_json({{"schema", "ward.tunnel/v1"},
                {"listen", forwarder->listen_address()},
                {"to", target.text()},
                {"via", bastion_name}});
  } else {
    print_line("forwarding " + forwarder->listen_address() + " to " + target.text() + " via " +
               bastion_name + " (Ctrl-C to stop)");
  }
  std::fflush(stdout);

  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  std::string outcome = "ok";
  int code = 0;
  std::optional<Error> lost;
  try {
    forwarder->run(g_interrupted);
  } catch (const Error& e) {
    outcome = "error";
    code = e.exit_code();
    lost = e;
  }
  const auto stats = forwarder->stats();
  forwarder.reset();  // closes the channels and the session before the event is written
  ctx.record("tunnel.close", bastion_name, vault.id_of(bastion_name), outcome, code,
             {{"to", target.text()},
              {"connections", stats.connections},
              {"bytes_up", stats.bytes_up},
              {"bytes_down", stats.bytes_down}});
  if (lost) throw *lost;
}

}  // namespace

void register_tunnel(CLI::App& app, Context& ctx) {
  auto options = std::make_shared<TunnelOptions>();
  auto* tunnel = app.add_subcommand(
      "tunnel", "Forward a local port through a bastion's SSH to a source behind it");
  tunnel->add_option("NAME", options->name,
                     "A credential naming a bastion (its host and port are the target)");
  tunnel->add_option("--via", options->via, "The ssh credential of the bastion");
  tunnel->add_option("--to", options->to, "HOST:PORT to reach, as the bastion sees it");
  tunnel->add_option("--listen", options->listen,
                     "Local address to listen on (default 127.0.0.1:0, any free port)");
  tunnel->add_option("--timeout", options->timeout_s, "Seconds for each network step")
      ->check(CLI::Range(1, 600));
  set_action(tunnel, [&ctx, options] { run_tunnel(ctx, *options); });
}

}  // namespace ward::cli
