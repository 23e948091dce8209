#include "ward/check/source.hpp"

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include <deque>
#include <memory>
#include <vector>

#include "source_http.hpp"
#include "ward/check/ssh.hpp"
#include "ward/error.hpp"
#include "ward/util/duration.hpp"
#include "ward/util/private_file.hpp"

namespace ward::check {
namespace {

using Clock = std::chrono::steady_clock;

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};

bool contains(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

// libpq's message, first line, without the "connection to server … failed:" preamble.
std::string pg_error(PGconn* conn) {
  std::string message = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  if (const auto failed = message.find("failed: "); failed != std::string::npos)
    message = message.substr(failed + 8);
  if (const auto newline = message.find('\n'); newline != std::string::npos)
    message.resize(newline);
  return message;
}

void check_postgres(const vault::CredentialVersion& credential, const CredentialLookup& lookup,
                    const SourceCheckOptions& options, Probe& probe) {
  const auto host = field_or(credential, "host");
  if (host.empty()) {
    probe.set_error("source.misconfigured", "credential has no host field");
    return;
  }
  const auto port = port_field(credential, 5432);
  const auto sslmode = field_or(credential, "sslmode", "verify-full");
  probe.target = credential.name;
  probe.facts["type"] = "postgres";
  probe.facts["endpoint"] = host + ":" + std::to_string(port);
  probe.facts["sslmode"] = sslmode;

  auto opened = probe_route(credential, host, port, lookup, options.timeout, probe);
  if (!opened) return;
  auto& route = *opened;

  std::optional<util::PrivateFile> root_cert;
  auto sslrootcert = field_or(credential, "sslrootcert");
  if (util::looks_like_content(sslrootcert)) {
    root_cert.emplace(sslrootcert, "sslrootcert");
    sslrootcert = root_cert->path().string();
  }
  const auto timeout_s = std::to_string(std::max<long long>(
      1, std::chrono::duration_cast<std::chrono::seconds>(options.timeout).count()));
  const auto port_text = std::to_string(route.port);
  const auto user = field_or(credential, "user");
  const auto dbname = field_or(credential, "dbname", user);
  const auto password = credential.secrets.find("password");
  std::string password_text;  // libpq copies it; cleared below
  if (password != credential.secrets.end()) password_text = std::string(password->second.reveal());

  std::vector<const char*> keys;
  std::vector<const char*> values;
  std::deque<std::string> owned;  // stable addresses for libpq's C strings
  const auto set = [&](const char* key, std::string value) {
    if (value.empty()) return;
    keys.push_back(key);
    values.push_back(owned.emplace_back(std::move(value)).c_str());
  };
  set("host", host);  // what the certificate must name
  if (!route.via.empty()) set("hostaddr", route.host);
  set("port", port_text);
  set("user", user);
  set("dbname", dbname);
  set("sslmode", sslmode);
  set("sslrootcert", sslrootcert);
  if (!password_text.empty()) {
    keys.push_back("password");
    values.push_back(password_text.c_str());
  }
  set("connect_timeout", timeout_s);
  set("gssencmode", "disable");
  set("application_name", "ward-check");
  keys.push_back(nullptr);
  values.push_back(nullptr);
  std::unique_ptr<PGconn, PgConnDeleter> conn(PQconnectdbParams(keys.data(), values.data(), 0));
  OPENSSL_cleanse(password_text.data(), password_text.size());

  if (PQstatus(conn.get()) != CONNECTION_OK) {
    const auto error = pg_error(conn.get());
    if (contains(error, "password authentication failed") || contains(error, "no password")) {
      probe.add("source.auth.failed", Severity::high,
                "PostgreSQL refused the stored password for " + user + ": " + error);
    } else if (contains(error, "certificate") || contains(error, "does not match host name")) {
      probe.add("source.tls.cert_invalid", Severity::high,
                "the server's certificate does not verify: " + error, {{"sslmode", sslmode}});
    } else if (contains(error, "SSL error") || contains(error, "SSL SYSCALL")) {
      // libpq refuses TLS below 1.2 (ssl_min_protocol_version), so a legacy-only server
      // lands here too.
      probe.add("source.tls.failed", Severity::high, "no TLS session with the server: " + error,
                {{"sslmode", sslmode}});
    } else if (contains(error, "no encryption") || contains(error, "SSL off") ||
               contains(error, "server does not support SSL")) {
      probe.add("source.tls.unavailable", Severity::high,
                "the server does not offer TLS: " + error);
    } else {
      probe.set_error("source.unreachable",
                      "cannot connect to " + host + ":" + std::to_string(port) + ": " + error);
      return;
    }
    probe.settle();
    return;
  }
  std::unique_ptr<PGresult, PgResultDeleter> result(PQexec(conn.get(), "SELECT 1"));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    probe.add("source.query.failed", Severity::high,
              std::string("SELECT 1 failed: ") + PQerrorMessage(conn.get()));
  }
  probe.facts["authenticated"] = true;
  probe.facts["server_version"] = PQserverVersion(conn.get());
  const bool tls = PQsslInUse(conn.get()) == 1;
  probe.facts["tls"] = tls;
  if (tls) {
    const char* protocol = PQsslAttribute(conn.get(), "protocol");
    const char* cipher = PQsslAttribute(conn.get(), "cipher");
    probe.facts["protocol"] = protocol != nullptr ? protocol : "";
    probe.facts["cipher"] = cipher != nullptr ? cipher : "";
    if (sslmode != "verify-full" && sslmode != "verify-ca") {
      probe.add("source.tls.unverified", Severity::medium,
                "sslmode=" + sslmode +
                    " encrypts but does not verify the server: set sslmode=verify-full and "
                    "store the CA in sslrootcert",
                {{"sslmode", sslmode}});
    }
  } else {
    probe.add("source.tls.disabled", Severity::high,
              "the session is not encrypted (sslmode=" + sslmode +
                  "): credentials and data cross the network in clear",
              {{"sslmode", sslmode}});
  }
}

void check_ssh_source(const vault::CredentialVersion& credential, const SourceCheckOptions& options,
                      Probe& probe) {
  SshCheckOptions ssh_options;
  ssh_options.host = field_or(credential, "host");
  ssh_options.port = port_field(credential, 22);
  ssh_options.timeout = options.timeout;
  std::optional<util::PrivateFile> known_hosts_file;
  ssh_options.expected_fingerprint = field_or(credential, "hostkey");
  if (const auto known = field_or(credential, "known_hosts");
      ssh_options.expected_fingerprint.empty() && !known.empty()) {
    if (util::looks_like_content(known)) {
      known_hosts_file.emplace(known, "known_hosts");
      ssh_options.known_hosts = known_hosts_file->path();
    } else {
      ssh_options.known_hosts = known;
    }
  }
  ssh_options.credentials = ssh_login(credential);
  probe = check_ssh(ssh_options);
  probe.kind = "source";
  probe.facts["endpoint"] = probe.target;
  probe.facts["type"] = "ssh";
  probe.target = credential.name;
}

}  // namespace

bool checkable_type(const std::string& type) {
  return type == "postgres" || type == "ssh" || type == "https" || type == "api-key";
}

Probe check_source(const vault::CredentialVersion& credential, const CredentialLookup& lookup,
                   const SourceCheckOptions& options) {
  const auto started = Clock::now();
  Probe probe;
  probe.kind = "source";
  probe.target = credential.name;
  probe.checked_at = util::format_time(util::now());
  try {
    if (credential.type == "postgres") {
      check_postgres(credential, lookup, options, probe);
    } else if (credential.type == "ssh") {
      check_ssh_source(credential, options, probe);
    } else if (credential.type == "https" || credential.type == "api-key") {
      detail::check_http_source(credential, lookup, options, probe);
    } else {
      probe.set_error("source.unsupported",
                      "ward cannot check credentials of type " + credential.type +
                          " end to end (it checks postgres, ssh, https and api-key)");
    }
  } catch (const Error& e) {
    probe.set_error("source.misconfigured", e.what());
  }
  if (probe.status != Status::error) probe.settle();
  probe.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return probe;
}

}  // namespace ward::check
