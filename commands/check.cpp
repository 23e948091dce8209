#include <memory>

#include "check_report.hpp"
#include "commands.hpp"
#include "ward/check/http.hpp"
#include "ward/check/tls.hpp"
#include "ward/error.hpp"
#include "ward/util/duration.hpp"

namespace ward::cli {
namespace {

std::chrono::milliseconds parse_timeout(const std::string& text) {
  const auto value = util::parse_duration(text);
  if (value.count() <= 0) fail(ErrorCode::usage, "--timeout must be positive");
  return std::chrono::duration_cast<std::chrono::milliseconds>(value);
}

}  // namespace

void register_check(CLI::App& app, Context& ctx) {
  auto* check = app.add_subcommand(
      "check", "Judge transport security: TLS endpoints (also via STARTTLS) and HTTP(S) URLs");
  check->require_subcommand(1);

  // check tls
  struct TlsCommand {
    check::TlsOptions tls;
    std::string starttls;
    std::string timeout = "5s";
    CheckReportOptions report;
  };
  auto tls_command = std::make_shared<TlsCommand>();
  auto* tls = check->add_subcommand(
      "tls", "Probe a TLS endpoint: protocol versions, weak cipher classes, the certificate");
  tls->add_option("TARGET", tls_command->tls.target, "HOST[:PORT] (default port 443)")->required();
  tls->add_option("--starttls", tls_command->starttls,
                  "Speak this protocol's plaintext opening first: postgres, mysql or smtp")
      ->check(CLI::IsMember({"postgres", "mysql", "smtp"}));
  tls->add_option("--sni", tls_command->tls.sni,
                  "Server name to send and to match the certificate against (default: HOST)");
  tls->add_option("--ca", tls_command->tls.ca_file,
                  "PEM file of trusted CA certificates (default: the system store)");
  tls->add_option("--min-version", tls_command->tls.min_version,
                  "Lowest acceptable protocol version: 1.0, 1.1, 1.2 (default) or 1.3")
      ->check(CLI::IsMember({"1.0", "1.1", "1.2", "1.3"}));
  tls->add_option("--warn-days", tls_command->tls.warn_days,
                  "Flag a certificate that expires within this many days (default 30)")
      ->check(CLI::NonNegativeNumber);
  tls->add_option("--expect-fingerprint", tls_command->tls.expect_fingerprint,
                  "The leaf certificate's SHA-256 fingerprint: SHA256:<base64> or SHA256:<hex>");
  tls->add_option("--timeout", tls_command->timeout,
                  "Give up on each connection step after this long (default 5s)");
  add_check_report_options(tls, tls_command->report);
  set_action(tls, [&ctx, tls_command] {
    auto options = tls_command->tls;
    options.timeout = parse_timeout(tls_command->timeout);
    if (!tls_command->starttls.empty()) {
      options.starttls = *check::starttls::parse_protocol(tls_command->starttls);
    }
    run_checks(ctx, "check.tls", "ward.check.tls/v1", tls_command->report,
               [&] { return std::vector<check::Probe>{check::check_tls(options)}; });
  });

  // check http
  struct HttpCommand {
    check::HttpOptions http;
    std::string timeout = "10s";
    CheckReportOptions report;
  };
  auto http_command = std::make_shared<HttpCommand>();
  auto* http = check->add_subcommand(
      "http", "Check an HTTP(S) URL: certificate, protocol, redirect to HTTPS, HSTS");
  http->add_option("URL", http_command->http.url, "http:// or https:// URL")->required();
  http->add_option("--ca", http_command->http.ca_file,
                   "PEM file of trusted CA certificates (default: the system store)");
  http->add_option("--warn-days", http_command->http.warn_days,
                   "Flag a certificate that expires within this many days (default 30)")
      ->check(CLI::NonNegativeNumber);
  http->add_option("--timeout", http_command->timeout,
                   "Give up on the whole request after this long (default 10s)");
  add_check_report_options(http, http_command->report);
  set_action(http, [&ctx, http_command] {
    auto options = http_command->http;
    options.timeout = parse_timeout(http_command->timeout);
    run_checks(ctx, "check.http", "ward.check.http/v1", http_command->report,
               [&] { return std::vector<check::Probe>{check::check_http(options)}; });
  });
}

}  // namespace ward::cli
