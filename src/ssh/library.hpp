#pragma once

// Private to src/ssh: the one-time libssh2 initialisation every entry point calls first.
namespace ward::ssh::detail {

// libssh2_init, once per process, thread-safe. Throws Error(internal) if it fails.
void ensure_library();

}  // namespace ward::ssh::detail
