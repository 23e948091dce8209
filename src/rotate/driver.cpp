#include "ward/rotate/driver.hpp"

#include "ward/check/connect.hpp"
#include "ward/error.hpp"

namespace ward::rotate {

// The one list of drivers: a hook when the credential names one, else by type.
std::unique_ptr<Driver> driver_for(const vault::CredentialVersion& credential) {
  if (!check::field_or(credential, "rotate_command").empty()) return make_command_driver();
  if (credential.type == "postgres") return make_postgres_driver();
  if (credential.type == "ssh") {
    if (!credential.secrets.contains("private_key") &&
        !credential.current_secret_names.contains("private_key")) {
      fail(ErrorCode::usage,
           "ssh credential '" + credential.name +
               "' holds no private_key: ward rotates SSH keys, not account passwords",
           "give it a rotate_command hook (--field rotate_command=…) to change the password");
    }
    return make_ssh_key_driver();
  }
  fail(ErrorCode::usage,
       "ward has no driver to change a " + credential.type + " credential ('" + credential.name +
           "') on its target",
       "give it a rotate_command hook: ward cred rotate " + credential.name +
           " --field rotate_command='…' (store only), or rotate it without --apply");
}

}  // namespace ward::rotate
