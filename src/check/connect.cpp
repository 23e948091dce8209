#include "ward/check/connect.hpp"

#include <charconv>

#include "ward/error.hpp"
#include "ward/util/private_file.hpp"

namespace ward::check {
namespace {

void require_ssh(const vault::CredentialVersion& credential) {
  if (credential.type != "ssh") {
    fail(ErrorCode::usage, "credential '" + credential.name + "' is of type " + credential.type +
                               ", not ssh: it cannot be used to reach a host over SSH");
  }
}

}  // namespace

std::string field_or(const vault::CredentialVersion& credential, const std::string& name,
                     const std::string& fallback) {
  const auto found = credential.fields.find(name);
  return found == credential.fields.end() || found->second.empty() ? fallback : found->second;
}

std::uint16_t port_field(const vault::CredentialVersion& credential, std::uint16_t fallback) {
  const auto text = field_or(credential, "port");
  if (text.empty()) return fallback;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
    fail(ErrorCode::usage,
         "credential '" + credential.name + "' has an invalid port field '" + text + "'");
  }
  return static_cast<std::uint16_t>(value);
}

ssh::Credentials ssh_login(const vault::CredentialVersion& credential) {
  require_ssh(credential);
  ssh::Credentials login;
  login.user = field_or(credential, "user");
  if (login.user.empty()) {
    fail(ErrorCode::usage, "ssh credential '" + credential.name + "' has no user field",
         "ward cred rotate " + credential.name + " --field user=…");
  }
  login.use_agent = false;  // the credential's own secret, nothing the operator happens to hold
  if (const auto key = credential.secrets.find("private_key"); key != credential.secrets.end()) {
    login.private_key = key->second.clone();
  }
  if (const auto password = credential.secrets.find("password");
      password != credential.secrets.end()) {
    login.password = password->second.clone();
  }
  return login;
}

namespace {

std::unique_ptr<ssh::Session> verified_session(const vault::CredentialVersion& credential,
                                               std::chrono::milliseconds timeout, SshStage* stage) {
  if (stage != nullptr) *stage = SshStage::connect;
  require_ssh(credential);
  const auto host = field_or(credential, "host");
  if (host.empty()) {
    fail(ErrorCode::usage, "ssh credential '" + credential.name + "' has no host field",
         "ward cred rotate " + credential.name + " --field host=…");
  }
  ssh::HostKeyPolicy policy;
  std::optional<util::PrivateFile> known_hosts_file;
  if (const auto hostkey = field_or(credential, "hostkey"); !hostkey.empty()) {
    policy.expected_fingerprint = hostkey;
  } else if (const auto known = field_or(credential, "known_hosts"); !known.empty()) {
    if (util::looks_like_content(known)) {
      known_hosts_file.emplace(known, "known_hosts");
      policy.known_hosts = known_hosts_file->path();
    } else {
      policy.known_hosts = known;
    }
  } else {
    fail(ErrorCode::usage,
         "ssh credential '" + credential.name +
             "' has neither a hostkey nor a known_hosts field: ward does not connect to a host "
             "it cannot verify",
         "store the server's key: --field hostkey=SHA256:… or --field-file "
         "known_hosts=FILE");
  }
  policy.accept_unknown = false;
  ssh::SessionOptions options;
  options.timeout = timeout;
  auto session = ssh::Session::connect({host, port_field(credential, 22)}, options, policy);
  if (stage != nullptr) *stage = SshStage::login;
  return session;
}

}  // namespace

std::unique_ptr<ssh::Session> connect_ssh_verified(const vault::CredentialVersion& credential,
                                                   std::chrono::milliseconds timeout) {
  return verified_session(credential, timeout, nullptr);
}

std::unique_ptr<ssh::Session> connect_ssh(const vault::CredentialVersion& credential,
                                          std::chrono::milliseconds timeout, SshStage* stage) {
  auto session = verified_session(credential, timeout, stage);
  session->authenticate(ssh_login(credential));
  return session;
}

Route route_to(const vault::CredentialVersion& credential, const std::string& host,
               std::uint16_t port, const CredentialLookup& lookup,
               std::chrono::milliseconds timeout, SshStage* stage) {
  Route route;
  const auto bastion_name = field_or(credential, "bastion");
  if (bastion_name.empty()) {
    route.host = host;
    route.port = port;
    return route;
  }
  const auto bastion = lookup(bastion_name);
  route.via = bastion_name;
  route.forwarder =
      std::make_unique<ssh::Forwarder>(connect_ssh(bastion, timeout, stage), host, port);
  route.forwarder->start();
  route.host = "127.0.0.1";
  route.port = route.forwarder->port();
  return route;
}

std::optional<Route> probe_route(const vault::CredentialVersion& credential,
                                 const std::string& host, std::uint16_t port,
                                 const CredentialLookup& lookup, std::chrono::milliseconds timeout,
                                 Probe& probe) {
  auto stage = SshStage::connect;
  try {
    auto route = route_to(credential, host, port, lookup, timeout, &stage);
    if (!route.via.empty()) probe.facts["via"] = route.via;
    return route;
  } catch (const Error& e) {
    const bool login = stage == SshStage::login && e.code() == ErrorCode::auth;
    probe.set_error(
        login ? "source.bastion.auth" : "source.bastion",
        "cannot reach the bastion '" + field_or(credential, "bastion") + "': " + e.what());
    return std::nullopt;
  }
}

}  // namespace ward::check
