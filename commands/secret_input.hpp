#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "ward/crypto/secret.hpp"

namespace ward::cli {

// Where a secret comes from. Never argv: stdin, a file, a file descriptor, an environment
// variable the user names, a no-echo prompt, or generated.
struct SecretSource {
  bool from_stdin = false;
  std::string file;
  std::string env;
  bool prompt = false;
  bool generate = false;
  std::string policy;
};

// Adds --secret-stdin, --secret-file, --secret-env, --prompt, --generate, --policy.
void add_secret_source_options(CLI::App& command, SecretSource& source);
[[nodiscard]] int count_sources(const SecretSource& source);
// Reads the one secret the options name (not for --generate). Throws Error(usage).
crypto::SecretBytes read_secret(const SecretSource& source, const std::string& what);

crypto::SecretBytes read_all_fd(int fd, const std::string& what);
crypto::SecretBytes read_secret_file(const std::string& path, const std::string& what);
// Reads one line from the terminal with echo off (confirm: ask twice and compare).
crypto::SecretBytes prompt_secret(const std::string& prompt, bool confirm);
// Strips one trailing "\n" or "\r\n".
void strip_newline(crypto::SecretBytes& secret);

}  // namespace ward::cli
