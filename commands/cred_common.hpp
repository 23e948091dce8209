#pragma once

// What the `cred` subcommand files share (cred.cpp, cred_rotate.cpp, cred_io.cpp): the options
// and helpers of commands that write a credential's secret.
#include <CLI/CLI.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "context.hpp"
#include "secret_input.hpp"
#include "ward/vault/credential.hpp"

namespace ward::rotate {
struct RotateResult;
}  // namespace ward::rotate

namespace ward::cli {

struct WriteOptions {
  std::string name;
  std::string type;
  std::vector<std::string> fields;
  std::vector<std::string> field_files;
  std::string secret_field;
  std::string rotate_every;
  bool allow_weak = false;
  SecretSource source;
};

std::pair<std::string, std::string> split_assignment(const std::string& text, const char* flag);
// The primary secret from the chosen source; user-supplied ones are checked against the
// strength policy. `policy_used` receives the generation policy, if one was used.
crypto::SecretBytes obtain_secret(const WriteOptions& options, std::string& policy_used);
void read_fields(const WriteOptions& options, std::map<std::string, std::string>& fields,
                 std::map<std::string, crypto::SecretBytes>& secrets);
void add_write_options(CLI::App& command, WriteOptions& options, bool is_add);
nlohmann::json summary_json(const vault::CredentialVersion& v, const std::string& id);

// What a rotation on its target did, as audit event details (state, driver, versions,
// verified, resolution), in cred_rotate.cpp; rotate --apply and leaks --rotate record the same.
void fill_rotation_details(nlohmann::json& details, const rotate::RotateResult& r);
// rotate and revoke (store only, and --apply on the target), in cred_rotate.cpp.
void register_cred_rotate(CLI::App& cred, Context& ctx);
// import and export, in cred_io.cpp.
void register_cred_io(CLI::App& cred, Context& ctx);
// leaks (keyed-hash search for managed secrets in files, --rotate), in cred_leaks.cpp.
void register_cred_leaks(CLI::App& cred, Context& ctx);

}  // namespace ward::cli
