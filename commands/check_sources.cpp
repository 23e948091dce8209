// `ward check ssh`, `check source` and `check all`: SSH servers and stored credentials, end to
// end. Shares the check report plumbing (run_checks: store, audit, table/JSON/JUnit, --fail-on)
// with `check tls` and `check http`.
#include <atomic>
#include <map>
#include <memory>
#include <thread>

#include "check_report.hpp"
#include "commands.hpp"
#include "ward/check/net.hpp"
#include "ward/check/source.hpp"
#include "ward/check/ssh.hpp"
#include "ward/error.hpp"
#include "ward/util/duration.hpp"
#include "ward/vault/vault.hpp"

namespace ward::cli {
namespace {

std::chrono::milliseconds timeout_from(const std::string& text) {
  const auto value = util::parse_duration(text);
  if (value.count() <= 0) fail(ErrorCode::usage, "--timeout must be positive");
  return std::chrono::duration_cast<std::chrono::milliseconds>(value);
}

vault::CredentialVersion copy_of(const vault::CredentialVersion& original) {
  vault::CredentialVersion copy;
  copy.name = original.name;
  copy.type = original.type;
  copy.version = original.version;
  copy.fields = original.fields;
  for (const auto& [key, value] : original.secrets) copy.secrets.emplace(key, value.clone());
  return copy;
}

// The credentials a set of sources needs, read once up front: probes run on worker threads and
// the vault is not shared across threads.
class CredentialSet {
 public:
  void add(vault::CredentialVersion credential) {
    auto name = credential.name;
    m_credentials.insert_or_assign(std::move(name), std::move(credential));
  }
  void add_with_bastion(vault::Vault& vault, const std::string& name) {
    auto credential = vault.read(name);
    const auto bastion = check::field_or(credential, "bastion");
    add(std::move(credential));
    if (!bastion.empty() && !m_credentials.contains(bastion)) {
      try {
        add(vault.read(bastion));
      } catch (const Error&) {
        // Reported by the probe when it looks the bastion up.
      }
    }
  }
  [[nodiscard]] check::CredentialLookup lookup() const {
    return [this](const std::string& name) {
      const auto found = m_credentials.find(name);
      if (found == m_credentials.end()) {
        fail(ErrorCode::not_found, "no credential named '" + name + "' (a bastion)");
      }
      return copy_of(found->second);
    };
  }
  [[nodiscard]] const vault::CredentialVersion& at(const std::string& name) const {
    return m_credentials.at(name);
  }

 private:
  std::map<std::string, vault::CredentialVersion> m_credentials;
};

// Runs `count` probes on up to `parallel` threads, keeping the results in input order.
std::vector<check::Probe> run_parallel(std::size_t count, std::size_t parallel,
                                       const std::function<check::Probe(std::size_t)>& probe) {
  std::vector<check::Probe> results(count);
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  const auto threads = std::max<std::size_t>(1, std::min(parallel, count));
  for (std::size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (auto i = next++; i < count; i = next++) results[i] = probe(i);
    });
  }
  for (auto& worker : workers) worker.join();
  return results;
}

}  // namespace

void register_check_sources(CLI::App& app, Context& ctx) {
  auto* check = app.get_subcommand("check");

  // check ssh
  struct SshCommand {
    std::string target;
    std::string known_hosts;
    std::string expect_hostkey;
    std::string cred;
    std::string user = "ward-check";
    std::string timeout = "10s";
    CheckReportOptions report;
  };
  auto ssh_command = std::make_shared<SshCommand>();
  auto* ssh = check->add_subcommand(
      "ssh", "Check an SSH server: host key, offered algorithms, Terrapin, password logins");
  ssh->add_option("TARGET", ssh_command->target, "HOST[:PORT] (default port 22)")->required();
  auto* known_hosts = ssh->add_option("--known-hosts", ssh_command->known_hosts,
                                      "known_hosts file to verify the host key against");
  ssh->add_option("--expect-hostkey", ssh_command->expect_hostkey,
                  "The host key's fingerprint, SHA256:<base64> (as ssh-keygen -l prints it)")
      ->excludes(known_hosts);
  ssh->add_option("--cred", ssh_command->cred,
                  "Also log in with this stored ssh credential (its user and secret)");
  ssh->add_option("--user", ssh_command->user,
                  "User whose authentication methods to ask for (default ward-check)");
  ssh->add_option("--timeout", ssh_command->timeout,
                  "Give up on each connection step after this long (default 10s)");
  add_check_report_options(ssh, ssh_command->report);
  set_action(ssh, [&ctx, ssh_command] {
    check::SshCheckOptions options;
    const auto endpoint = check::net::parse_endpoint(ssh_command->target, 22);
    options.host = endpoint.host;
    options.port = endpoint.port;
    options.known_hosts = ssh_command->known_hosts;
    options.expected_fingerprint = ssh_command->expect_hostkey;
    if (!options.expected_fingerprint.empty() &&
        !ssh::parse_fingerprint(options.expected_fingerprint)) {
      fail(ErrorCode::usage,
           "--expect-hostkey '" + options.expected_fingerprint + "' is not a SHA256 fingerprint",
           "write it as ssh-keygen -l prints it: SHA256:<base64>");
    }
    options.user = ssh_command->user;
    options.timeout = timeout_from(ssh_command->timeout);
    if (!ssh_command->cred.empty()) {
      vault::Vault vault(ctx.ns());
      options.credentials = check::ssh_login(vault.read(ssh_command->cred));
    }
    run_checks(ctx, "check.ssh", "ward.check.ssh/v1", ssh_command->report,
               [&] { return std::vector<check::Probe>{check::check_ssh(options)}; });
  });

  // check source
  struct SourceCommand {
    std::vector<std::string> names;
    std::string timeout = "10s";
    CheckReportOptions report;
  };
  auto source_command = std::make_shared<SourceCommand>();
  auto* source = check->add_subcommand(
      "source", "Check stored credentials end to end: transport, authentication, a trivial query");
  source->add_option("NAME", source_command->names, "Credential name(s)")->required();
  source->add_option("--timeout", source_command->timeout,
                     "Give up on each connection step after this long (default 10s)");
  add_check_report_options(source, source_command->report);
  set_action(source, [&ctx, source_command] {
    check::SourceCheckOptions options;
    options.timeout = timeout_from(source_command->timeout);
    run_checks(ctx, "check.source", "ward.check.source/v1", source_command->report, [&] {
      vault::Vault vault(ctx.ns());
      CredentialSet credentials;
      for (const auto& name : source_command->names) credentials.add_with_bastion(vault, name);
      const auto lookup = credentials.lookup();
      return run_parallel(source_command->names.size(), 8, [&](std::size_t i) {
        return check::check_source(credentials.at(source_command->names[i]), lookup, options);
      });
    });
  });

  // check all
  struct AllCommand {
    int parallel = 8;
    std::string type;
    std::string timeout = "10s";
    CheckReportOptions report;
  };
  auto all_command = std::make_shared<AllCommand>();
  auto* all = check->add_subcommand(
      "all", "Check every checkable credential of the namespace, concurrently; results are stored");
  all->add_option("--parallel", all_command->parallel, "Checks at a time (default 8)")
      ->check(CLI::Range(1, 256));
  all->add_option("--type", all_command->type,
                  "Only credentials of this type (postgres, ssh, https, api-key)");
  all->add_option("--timeout", all_command->timeout,
                  "Give up on each connection step after this long (default 10s)");
  add_check_report_options(all, all_command->report);
  set_action(all, [&ctx, all_command] {
    check::SourceCheckOptions options;
    options.timeout = timeout_from(all_command->timeout);
    run_checks(ctx, "check.all", "ward.check.all/v1", all_command->report, [&] {
      vault::Vault vault(ctx.ns());
      CredentialSet credentials;
      std::vector<std::string> names;
      for (const auto& summary : vault.list()) {
        if (summary.current_version == 0 || !check::checkable_type(summary.type)) continue;
        if (!all_command->type.empty() && summary.type != all_command->type) continue;
        credentials.add_with_bastion(vault, summary.name);
        names.push_back(summary.name);
      }
      const auto lookup = credentials.lookup();
      return run_parallel(names.size(), static_cast<std::size_t>(all_command->parallel),
                          [&](std::size_t i) {
                            return check::check_source(credentials.at(names[i]), lookup, options);
                          });
    });
  });
}

}  // namespace ward::cli
