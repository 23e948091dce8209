#include "ward/check/postgres.hpp"

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "ward/error.hpp"
#include "ward/util/private_file.hpp"

namespace ward::check {
namespace {

bool contains(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

std::string first_line(std::string message) {
  if (const auto failed = message.find("failed: "); failed != std::string::npos)
    message = message.substr(failed + 8);
  if (const auto newline = message.find('\n'); newline != std::string::npos)
    message.resize(newline);
  return message;
}

}  // namespace

PgConnection::PgConnection(PgConnection&& other) noexcept
    : m_conn(std::exchange(other.m_conn, nullptr)),
      m_route(std::move(other.m_route)),
      m_failure(other.m_failure),
      m_error(std::move(other.m_error)),
      m_endpoint(std::move(other.m_endpoint)),
      m_sslmode(std::move(other.m_sslmode)) {}

PgConnection& PgConnection::operator=(PgConnection&& other) noexcept {
  if (this != &other) {
    if (m_conn != nullptr) PQfinish(m_conn);
    m_conn = std::exchange(other.m_conn, nullptr);
    m_route = std::move(other.m_route);
    m_failure = other.m_failure;
    m_error = std::move(other.m_error);
    m_endpoint = std::move(other.m_endpoint);
    m_sslmode = std::move(other.m_sslmode);
  }
  return *this;
}

PgConnection::~PgConnection() {
  // The connection closes before the forwarder it runs through.
  if (m_conn != nullptr) PQfinish(m_conn);
}

std::string PgConnection::last_error() const {
  return m_conn != nullptr ? first_line(PQerrorMessage(m_conn)) : "out of memory";
}

bool PgConnection::alive() const { return m_conn != nullptr && PQstatus(m_conn) == CONNECTION_OK; }

PgConnection PgConnection::open(const vault::CredentialVersion& credential,
                                const CredentialLookup& lookup, std::chrono::milliseconds timeout,
                                const std::string& application_name) {
  PgConnection connection;
  const auto host = field_or(credential, "host");
  if (host.empty()) {
    fail(ErrorCode::usage, "postgres credential '" + credential.name + "' has no host field");
  }
  const auto port = port_field(credential, 5432);
  connection.m_sslmode = field_or(credential, "sslmode", "verify-full");
  connection.m_endpoint = host + ":" + std::to_string(port);
  connection.m_route = route_to(credential, host, port, lookup, timeout);

  std::optional<util::PrivateFile> root_cert;
  auto sslrootcert = field_or(credential, "sslrootcert");
  if (util::looks_like_content(sslrootcert)) {
    root_cert.emplace(sslrootcert, "sslrootcert");
    sslrootcert = root_cert->path().string();
  }
  const auto timeout_s = std::to_string(
      std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(timeout).count()));
  const auto port_text = std::to_string(connection.m_route.port);
  const auto user = field_or(credential, "user");
  const auto dbname = field_or(credential, "dbname", user);

  std::vector<const char*> keys;
  std::vector<const char*> values;
  std::deque<std::string> owned;  // stable addresses for libpq's C strings
  const auto set = [&](const char* key, std::string value) {
    if (value.empty()) return;
    keys.push_back(key);
    values.push_back(owned.emplace_back(std::move(value)).c_str());
  };
  set("host", host);  // what the certificate must name
  if (!connection.m_route.via.empty()) set("hostaddr", connection.m_route.host);
  set("port", port_text);
  set("user", user);
  set("dbname", dbname);
  set("sslmode", connection.m_sslmode);
  set("sslrootcert", sslrootcert);
  // libpq copies the password; ward's copy is a NUL-terminated clone in secret memory.
  std::optional<crypto::SecretBytes> password;
  if (const auto found = credential.secrets.find("password"); found != credential.secrets.end()) {
    password = found->second.clone();
    password->append(std::string_view("\0", 1));
    keys.push_back("password");
    values.push_back(reinterpret_cast<const char*>(password->data()));
  }
  set("connect_timeout", timeout_s);
  set("gssencmode", "disable");
  set("application_name", application_name);
  keys.push_back(nullptr);
  values.push_back(nullptr);
  connection.m_conn = PQconnectdbParams(keys.data(), values.data(), 0);

  if (PQstatus(connection.m_conn) != CONNECTION_OK) {
    connection.m_error = connection.last_error();
    const auto& error = connection.m_error;
    if (contains(error, "password authentication failed") || contains(error, "no password") ||
        contains(error, "not permitted to log in")) {
      connection.m_failure = Failure::auth;
    } else if (contains(error, "certificate") || contains(error, "SSL error") ||
               contains(error, "does not match host name")) {
      connection.m_failure = Failure::tls;
    } else if (contains(error, "no encryption") || contains(error, "SSL off") ||
               contains(error, "server does not support SSL")) {
      connection.m_failure = Failure::no_tls;
    } else {
      connection.m_failure = Failure::unreachable;
    }
  }
  return connection;
}

}  // namespace ward::check
