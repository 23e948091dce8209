// Entry point: global options, configuration, logging, and the one place where errors become
// exit codes.
#include <openssl/crypto.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <exception>
#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "ward/crypto/secret.hpp"
#include "ward/error.hpp"

namespace {

void configure_logging(const ward::cli::GlobalOptions& options) {
  auto logger = spdlog::stderr_color_mt("ward");
  spdlog::set_default_logger(logger);
  if (options.log_format == "json") {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","message":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("ward: %l: %v");
  }
  if (options.quiet) {
    spdlog::set_level(spdlog::level::err);
  } else if (options.verbose >= 2) {
    spdlog::set_level(spdlog::level::trace);
  } else if (options.verbose == 1) {
    spdlog::set_level(spdlog::level::debug);
  } else {
    spdlog::set_level(spdlog::level::warn);
  }
}

}  // namespace

int main(int argc, char** argv) {
  ward::crypto::harden_process();
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
  ward::cli::Context ctx;
  auto& options = ctx.options;

  CLI::App app{"ward — keep a data platform's security promises: credentials, keys, audit."};
  app.name("ward");
  app.set_version_flag("--version", std::string("ward ") + WARD_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand: `ward init --key-file K`
  app.option_defaults()->always_capture_default(false);
  app.add_option("--store", options.store, "Store URL (default: $XDG_DATA_HOME/ward/store)")
      ->envname("WARD_STORE");
  app.add_option("--ns", options.ns, "Namespace (tenant); default: default")->envname("WARD_NS");
  app.add_flag("--json", options.json, "Machine-readable output (one JSON document on stdout)");
  app.add_flag("-v,--verbose", options.verbose, "More log output on stderr (repeat for more)");
  app.add_flag("-q,--quiet", options.quiet, "Only errors on stderr");
  app.add_option("--log-format", options.log_format, "Log format on stderr")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--config", options.config,
                 "Config file (default: $XDG_CONFIG_HOME/ward/config.json)")
      ->envname("WARD_CONFIG");
  app.add_option("--key-file", options.key_file, "Unlock with a key file")
      ->envname("WARD_KEY_FILE");
  app.add_option("--passphrase-file", options.passphrase_file,
                 "Unlock with a passphrase read from a file")
      ->envname("WARD_PASSPHRASE_FILE");
  app.add_option("--passphrase-fd", options.passphrase_fd,
                 "Unlock with a passphrase read from a file descriptor");
  app.add_option("--ssh-identity", options.ssh_identity,
                 "SFTP store: private key file for the SSH server (ed25519 or ECDSA)")
      ->envname("WARD_SSH_IDENTITY");
  app.add_option("--ssh-known-hosts", options.ssh_known_hosts,
                 "SFTP store: known_hosts file (default: ~/.ssh/known_hosts)")
      ->envname("WARD_SSH_KNOWN_HOSTS");
  app.add_option("--ssh-password-file", options.ssh_password_file,
                 "SFTP store: file holding the SSH password")
      ->envname("WARD_SSH_PASSWORD_FILE");
  app.add_option("--s3-ca", options.s3_ca_file,
                 "S3 store: PEM file of the CA certificates that verify its https endpoint")
      ->envname("WARD_S3_CA_FILE");
  app.add_option("--s3-credential", options.s3_credential,
                 "S3 store: name of a credential in the local default store holding its keys "
                 "(field access_key_id, secret secret_access_key)")
      ->envname("WARD_S3_CREDENTIAL");
  app.footer(
      "Exit status: 0 ok, 1 findings, 2 usage, 3 not found, 4 cannot unlock or integrity failure,\n"
      "5 conflict (retry), 6 store unreachable, 70 internal error. See ward(1).");

  ward::cli::register_init(app, ctx);
  ward::cli::register_key(app, ctx);
  ward::cli::register_cred(app, ctx);
  ward::cli::register_passwd(app, ctx);
  ward::cli::register_audit(app, ctx);
  ward::cli::register_store(app, ctx);
  ward::cli::register_ns(app, ctx);
  ward::cli::register_maintenance(app, ctx);
  ward::cli::register_backup(app, ctx);
  ward::cli::register_check(app, ctx);
  ward::cli::register_check_sources(app, ctx);
  ward::cli::register_tunnel(app, ctx);
  ward::cli::register_status(app, ctx);
  ward::cli::register_redact(app, ctx);

  // Everything after the first `--` belongs to a child command (`cred exec NAME -- cmd -c …`);
  // CLI11 2.1 would try to parse its flags, so it never sees them.
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) args.emplace_back(argv[i]);  // CLI11 wants them reversed
  if (const auto separator = std::find(args.rbegin(), args.rend(), "--");
      separator != args.rend()) {
    ctx.passthrough.assign(std::next(separator), args.rend());
    args.erase(args.begin(), separator.base());
  }
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    return status == 0 ? 0 : static_cast<int>(ward::ErrorCode::usage);
  }
  try {
    configure_logging(options);
    ctx.resolve();
    ward::cli::run_selected(app);
  } catch (const ward::Error& e) {
    ward::cli::print_error(e, options.json);
    return e.exit_code();
  } catch (const std::exception& e) {
    ward::cli::print_error(
        ward::Error(ward::ErrorCode::internal, std::string("internal error: ") + e.what(),
                    "please report this with the command you ran (never its secrets)"),
        options.json);
    return static_cast<int>(ward::ErrorCode::internal);
  }
  return 0;
}
