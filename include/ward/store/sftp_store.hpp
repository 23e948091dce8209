#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ward/store/object_store.hpp"

namespace ward::store {

// `sftp://user@host[:port]/path` split into its parts. The path is absolute; `/~/rel` (or
// `/~`) names a path below the user's home directory, as curl reads SFTP URLs.
struct SftpUrl {
  std::string user;
  std::string host;  // IPv6 literals without brackets
  std::uint16_t port = 22;
  std::string path;  // absolute, or relative to the login directory for `/~/…`
};
// Throws Error(usage) for a malformed URL or one that carries a password.
SftpUrl parse_sftp_url(const std::string& url);

// A store on an SFTP server, through the shared SSH layer (src/ssh/). Put-if-absent is a
// temporary file under `.tmp/` (fsync@openssh.com where offered) and a plain SFTP rename, which
// OpenSSH's server performs with link(2) and never lets replace an existing object. The
// connection opens on first use; an idempotent operation that loses it reconnects once.
std::unique_ptr<ObjectStore> make_sftp_store(const std::string& url, const StoreOptions& options);

}  // namespace ward::store
