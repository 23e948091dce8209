#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ward/check/probe.hpp"
#include "ward/ssh/forwarder.hpp"
#include "ward/ssh/session.hpp"
#include "ward/vault/credential.hpp"

// Reaching a stored credential's target over its real path: verified SSH to an `ssh` credential,
// and a local forward through a credential's `bastion`. Shared by `check source`, `tunnel` and
// rotation drivers so each reads the same fields (DESIGN.md, "Credentials").
namespace ward::check {

// Looks up another credential of the namespace by name (a bastion); throws Error(not_found).
using CredentialLookup = std::function<vault::CredentialVersion(const std::string& name)>;

// How an `ssh` credential logs in: its `user` and its `private_key` and/or `password` secret
// (copied; never ssh-agent, nothing the operator happens to hold). Error(usage) for another
// type or without a user.
ssh::Credentials ssh_login(const vault::CredentialVersion& credential);

// Connects to an `ssh` credential's host, verifies its host key and authenticates with its
// `private_key` (from memory) or `password`. The host key must match the credential's `hostkey`
// (an expected SHA256 fingerprint) or its `known_hosts` (the file's content, stored in the
// credential, or a path); without either ward refuses to connect (Error(usage)). Errors as
// ssh::Session's (6 unreachable, 4 auth).
// `stage`, when given, tells a caller that caught the error whether the connection and host key
// check (connect) or the login (login) failed: both throw Error(auth) for a refusal.
enum class SshStage { connect, login };
std::unique_ptr<ssh::Session> connect_ssh(const vault::CredentialVersion& credential,
                                          std::chrono::milliseconds timeout,
                                          SshStage* stage = nullptr);

// connect_ssh's first half: the verified connection (host key checked, nobody logged in yet),
// for callers that log in with ssh_login themselves (a rotation tells refusal from failure).
std::unique_ptr<ssh::Session> connect_ssh_verified(const vault::CredentialVersion& credential,
                                                   std::chrono::milliseconds timeout);

// Where a client should connect to reach `host:port` of `credential`: directly, or through a
// forwarder on 127.0.0.1 when the credential names a `bastion`. Keep it alive while connected.
struct Route {
  std::string host;  // what to connect to
  std::uint16_t port = 0;
  std::string via;  // the bastion's name, empty when direct
  std::unique_ptr<ssh::Forwarder> forwarder;
};
Route route_to(const vault::CredentialVersion& credential, const std::string& host,
               std::uint16_t port, const CredentialLookup& lookup,
               std::chrono::milliseconds timeout, SshStage* stage = nullptr);

// route_to for a check: on failure, marks `probe` as not completed with source.bastion (the
// bastion cannot be reached or its host key is refused) or source.bastion.auth (it refuses the
// stored login) and returns nullopt. Sets the `via` fact on success through a bastion.
std::optional<Route> probe_route(const vault::CredentialVersion& credential,
                                 const std::string& host, std::uint16_t port,
                                 const CredentialLookup& lookup, std::chrono::milliseconds timeout,
                                 Probe& probe);

// A field's value, or `fallback` when it is absent.
std::string field_or(const vault::CredentialVersion& credential, const std::string& name,
                     const std::string& fallback = "");
// The `port` field as a number (`fallback` when absent); Error(usage) when not a port.
std::uint16_t port_field(const vault::CredentialVersion& credential, std::uint16_t fallback);

}  // namespace ward::check
