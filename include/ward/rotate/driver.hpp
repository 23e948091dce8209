#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "ward/check/connect.hpp"
#include "ward/crypto/secret.hpp"
#include "ward/error.hpp"
#include "ward/vault/credential.hpp"

// Rotation drivers: what changes a credential's secret on its target, one file per target kind
// (src/rotate/<kind>_driver.cpp), all behind this interface and listed in one registry
// (src/rotate/driver.cpp). The rotation protocol (rotation.hpp) drives them; a driver never
// touches the store.
namespace ward::rotate {

// What a driver needs besides the credential itself.
struct TargetContext {
  check::CredentialLookup lookup;  // other credentials of the namespace (bastion, admin)
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

// The new secret material of a rotation: secret fields, and non-secret fields that go with
// them (an SSH key's public half).
struct NewSecret {
  std::map<std::string, crypto::SecretBytes> secrets;
  std::map<std::string, std::string> fields;
};

// Thrown by Driver::change. `sent` says whether the change may have reached the target: false
// when it was refused or never sent (the target still has the old secret), true when the
// connection was lost after the request went out (the outcome is unknown).
class ChangeError : public Error {
 public:
  ChangeError(const Error& cause, bool sent)
      : Error(cause.code(), cause.what(), cause.hint()), m_sent(sent) {}
  [[nodiscard]] bool sent() const { return m_sent; }

 private:
  bool m_sent;
};

enum class Acceptance { accepted, refused };

class Driver {
 public:
  Driver() = default;
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  virtual ~Driver() = default;

  [[nodiscard]] virtual std::string name() const = 0;
  // The route a verification takes, for messages ("TLS to db:5432 through bastion").
  [[nodiscard]] virtual std::string describe(const vault::CredentialVersion& credential) const = 0;
  // New secret material for `current` (a generated password per `policy`, a new key pair...).
  virtual NewSecret generate(const vault::CredentialVersion& current,
                             const std::string& policy) = 0;
  // Sets `next`'s secret on the target, authenticating as `current` says. Throws ChangeError.
  virtual void change(const vault::CredentialVersion& current, const vault::CredentialVersion& next,
                      const TargetContext& target) = 0;
  // Whether the target accepts `candidate`'s secret over the credential's real path. Throws
  // ward::Error when it cannot tell (unreachable, misconfigured).
  virtual Acceptance accepts(const vault::CredentialVersion& candidate,
                             const TargetContext& target) = 0;
  // After a grace period: stops the target accepting the superseded version `old` (an SSH key
  // removed from authorized_keys), working as `current`. Most targets keep one secret per
  // account, so the change already did this.
  virtual void retire(const vault::CredentialVersion& /*current*/,
                      const vault::CredentialVersion& /*old*/, const TargetContext& /*target*/) {}
  // `cred revoke --apply`: the target stops accepting the credential at all (PostgreSQL
  // NOLOGIN, the SSH key removed).
  virtual void disable(const vault::CredentialVersion& current, const TargetContext& target) = 0;
};

// The driver for a credential: its `rotate_command` field picks the hook driver; otherwise its
// type (postgres, ssh with a private key). Error(usage) when ward cannot rotate it on a target.
std::unique_ptr<Driver> driver_for(const vault::CredentialVersion& credential);

// Each driver's factory, one per file.
std::unique_ptr<Driver> make_postgres_driver();
std::unique_ptr<Driver> make_ssh_key_driver();
std::unique_ptr<Driver> make_command_driver();

}  // namespace ward::rotate
