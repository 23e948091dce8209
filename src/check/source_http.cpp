#include "source_http.hpp"

#include <openssl/crypto.h>

#include <optional>

#include "ward/check/http.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/error.hpp"
#include "ward/util/private_file.hpp"

namespace ward::check::detail {
namespace {

// The stored secret that authenticates: the credential's primary secret field, else the first
// of the names its type uses.
const crypto::SecretBytes* secret_of(const vault::CredentialVersion& credential) {
  for (const auto& name : {credential.secret_field, std::string("token"), std::string("password"),
                           std::string("api_key"), std::string("secret")}) {
    if (const auto found = credential.secrets.find(name); found != credential.secrets.end())
      return &found->second;
  }
  return nullptr;
}

// The one header line that carries the secret, and how it is described in the facts.
struct AuthHeader {
  crypto::SecretBytes line;
  std::string scheme;
};

AuthHeader auth_header(const vault::CredentialVersion& credential,
                       const crypto::SecretBytes& secret) {
  AuthHeader header;
  if (const auto name = field_or(credential, "header"); !name.empty()) {
    if (name.find_first_of(": \t\r\n") != std::string::npos) {
      fail(ErrorCode::usage, "credential '" + credential.name + "' has an invalid header field '" +
                                 name + "': it names one HTTP header, e.g. X-API-Key");
    }
    header.line = crypto::SecretBytes::from(name + ": ");
    header.line.append(secret.bytes());
    header.scheme = "header " + name;
  } else if (const auto user = field_or(credential, "user");
             credential.type == "https" && !user.empty()) {
    auto pair = crypto::SecretBytes::from(user + ":");
    pair.append(secret.bytes());
    auto encoded = crypto::base64_encode(pair.bytes());
    header.line = crypto::SecretBytes::from("Authorization: Basic " + encoded);
    OPENSSL_cleanse(encoded.data(), encoded.size());
    header.scheme = "basic";
  } else {
    header.line = crypto::SecretBytes::from("Authorization: Bearer ");
    header.line.append(secret.bytes());
    header.scheme = "bearer";
  }
  if (header.line.reveal().find_first_of("\r\n") != std::string_view::npos) {
    fail(ErrorCode::usage, "the secret of credential '" + credential.name +
                               "' contains a line break: it cannot be sent in an HTTP header");
  }
  return header;
}

}  // namespace

void check_http_source(const vault::CredentialVersion& credential, const CredentialLookup& lookup,
                       const SourceCheckOptions& options, Probe& probe) {
  const auto url = field_or(credential, "url");
  probe.facts["type"] = credential.type;
  if (url.empty()) {
    probe.set_error("source.misconfigured", "credential has no url field");
    return;
  }
  probe.facts["url"] = url;
  const auto parts = parse_url(url);
  if (!parts || (parts->scheme != "https" && parts->scheme != "http")) {
    probe.set_error("source.misconfigured", "the url field '" + url + "' is not an http(s) URL");
    return;
  }
  probe.facts["endpoint"] = parts->host + ":" + std::to_string(parts->port);
  if (parts->scheme == "http") {
    probe.add("source.tls.disabled", Severity::high,
              "the url is plain http: the secret would cross the network in clear, so ward did "
              "not send it; use https",
              {{"url", url}});
    return;
  }
  const auto* secret = secret_of(credential);
  if (secret == nullptr || secret->empty()) {
    probe.set_error("source.misconfigured", "credential has no secret to authenticate with");
    return;
  }
  HttpRequest request;
  request.url = url;
  request.timeout = options.timeout;
  auto header = auth_header(credential, *secret);
  request.secret_header = std::move(header.line);
  probe.facts["auth"] = header.scheme;

  std::optional<util::PrivateFile> ca_file;
  auto ca = field_or(credential, "ca", field_or(credential, "sslrootcert"));
  if (util::looks_like_content(ca)) {
    ca_file.emplace(ca, "ca");
    ca = ca_file->path().string();
  }
  request.ca_file = ca;

  const auto route =
      probe_route(credential, parts->host, parts->port, lookup, options.timeout, probe);
  if (!route) return;
  if (!route->via.empty()) {
    request.connect_host = route->host;
    request.connect_port = route->port;
  }

  const auto response = http_get(request);
  if (response.bad_ca_file()) {
    probe.set_error(
        "source.misconfigured",
        "cannot read the CA certificates of the credential's ca field: " + response.error);
    return;
  }
  if (response.untrusted()) {
    // libcurl stops before the request: the secret never reached an unverified server.
    probe.add("source.tls.cert_invalid", Severity::high,
              "the server's certificate does not verify: " + response.error +
                  " (the secret was not sent)",
              {{"url", url}});
    return;
  }
  if (response.tls_failed()) {
    probe.add("source.tls.failed", Severity::high,
              "no TLS session with " + parts->host + ":" + std::to_string(parts->port) + ": " +
                  response.error + " (`ward check tls` shows what the server accepts)",
              {{"url", url}});
    return;
  }
  if (!response.ok()) {
    probe.set_error("source.unreachable", "cannot fetch " + url + ": " + response.error,
                    {{"url", url}, {"reason", response.connect_failure()}});
    return;
  }
  probe.facts["status"] = response.status;
  probe.facts["tls"] = true;
  probe.facts["protocol"] = response.tls_version;
  probe.facts["cipher"] = response.cipher;
  if (response.have_cert) probe.facts["cert_days_left"] = response.cert_days_left;
  const bool authenticated = response.status >= 200 && response.status < 300;
  probe.facts["authenticated"] = authenticated;
  if (response.status == 401 || response.status == 403) {
    probe.add("source.auth.failed", Severity::high,
              "the server refused the stored secret (HTTP " + std::to_string(response.status) +
                  ", " + header.scheme + ")",
              {{"status", response.status}, {"url", url}});
  } else if (!authenticated) {
    nlohmann::json evidence{{"status", response.status}, {"url", url}};
    std::string message =
        "the authenticated request answered HTTP " + std::to_string(response.status);
    if (!response.redirect.empty()) {
      evidence["location"] = response.redirect;
      message += " (a redirect to " + response.redirect +
                 ": ward does not follow it with the secret; store the final URL)";
    }
    probe.add("source.request.failed", Severity::medium, message, std::move(evidence));
  }
}

}  // namespace ward::check::detail
