#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ward/crypto/secret.hpp"
#include "ward/vault/credential.hpp"

// Moving credentials in and out of a store (`ward cred import`, `ward cred export`): readers for
// a .env file, a JSON document (ward.cred.export/v1, or a flat object of strings as `sops -d`
// and `vault kv get -format=json -field=data` print) and a `pass` store, and the writer of
// ward.cred.export/v1. Parsing is separate from writing so that an import checks every entry
// before it stores any.
namespace ward::vault {

// One credential read from an import source, before anything is stored.
struct ImportItem {
  std::string name;
  std::string type;
  std::string secret_field;
  std::map<std::string, std::string> fields;
  std::map<std::string, crypto::SecretBytes> secrets;
  std::optional<std::chrono::seconds> rotate_every;
  std::string generation_policy;
  std::string origin;  // "FILE:LINE" or "FILE: credentials[3]", for messages
};

enum class ImportFormat { env, json, pass };
std::string_view to_string(ImportFormat format);
// env, json or pass; Error(usage) otherwise.
ImportFormat parse_import_format(std::string_view text);

// What the sources need besides their bytes.
struct ImportDefaults {
  std::string type = "generic";  // for .env lines, flat JSON keys and pass entries
  std::string prefix;            // put before every name from those sources
};

// KEY=VALUE lines (`export KEY=…`, `#` comments, '…' literal and "…" quoted values with \n \t
// \" \\ escapes, which may span lines). One credential per key. Error(usage) naming
// `source:line` on the first malformed line or duplicate key.
std::vector<ImportItem> parse_dotenv(const crypto::SecretBytes& text, const std::string& source,
                                     const ImportDefaults& defaults);
// A ward.cred.export/v1 document exported with --reveal, or a flat object of string values.
// Error(usage) naming `source` and the field (or line and column for a syntax error).
std::vector<ImportItem> parse_json_import(const crypto::SecretBytes& text,
                                          const std::string& source,
                                          const ImportDefaults& defaults);
// A pass(1) password store: every *.gpg file below `directory`, decrypted by `pass show` (so
// pass's own configuration and gpg's agent apply). The first line of an entry is the secret;
// later `key: value` lines are fields (secret ones when the key names a secret field), other
// lines go into a secret `notes` field. Error(auth) when an entry cannot be decrypted, naming
// it and gpg's reason.
std::vector<ImportItem> read_pass_store(const std::string& directory,
                                        const ImportDefaults& defaults);

// Checks names, types and secret fields of a whole import: every problem, each with its origin,
// in one Error(usage); nothing is stored before this passes.
void validate_import(const std::vector<ImportItem>& items);

// The current state of one credential to export.
struct ExportEntry {
  CredentialVersion record;  // the current version (with secrets when revealed), or the newest
  std::uint32_t newest_version = 0;
  std::string id;
};
struct ExportHeader {
  std::string namespace_name;
  std::string exported;  // time
  bool revealed = false;
};
// ward.cred.export/v1, pretty-printed, in secret memory. Without `revealed` it holds no secret
// value, only the names of the secret fields.
crypto::SecretBytes write_export(const ExportHeader& header,
                                 const std::vector<ExportEntry>& entries);

}  // namespace ward::vault
