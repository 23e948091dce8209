#include "ward/vault/credential.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "ward/crypto/aead.hpp"
#include "ward/error.hpp"
#include "ward/util/duration.hpp"
#include "ward/util/json_integer.hpp"

namespace ward::vault {
namespace {

using nlohmann::json;

constexpr std::string_view k_record_magic = "WCR1";

void put_uint(crypto::SecretBytes& out, std::uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    const std::array<std::uint8_t, 1> byte{static_cast<std::uint8_t>(value >> shift)};
    out.append(byte);
  }
}

// Reads the length-prefixed record layout; every read is bounds-checked.
class Reader {
 public:
  explicit Reader(const crypto::SecretBytes& data) : m_data(data) {}
  std::uint64_t uint(int bytes) {
    need(static_cast<std::size_t>(bytes));
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value = (value << 8) | m_data.data()[m_pos++];
    return value;
  }
  std::string_view view(std::size_t n) {
    need(n);
    const auto out = m_data.reveal().substr(m_pos, n);
    m_pos += n;
    return out;
  }
  [[nodiscard]] bool done() const { return m_pos == m_data.size(); }

 private:
  void need(std::size_t n) const {
    if (m_data.size() - m_pos < n) fail(ErrorCode::auth, "credential record is truncated");
  }
  const crypto::SecretBytes& m_data;
  std::size_t m_pos = 0;
};

}  // namespace

const std::vector<std::string>& credential_types() {
  static const std::vector<std::string> types = {"postgres", "mysql",   "ssh",
                                                 "https",    "api-key", "generic"};
  return types;
}

void validate_type(std::string_view type) {
  const auto& types = credential_types();
  if (std::find(types.begin(), types.end(), type) == types.end()) {
    fail(ErrorCode::usage, "unknown credential type '" + std::string(type) + "'",
         "types: postgres, mysql, ssh, https, api-key, generic");
  }
}

std::string default_secret_field(std::string_view type) {
  if (type == "api-key") return "token";
  if (type == "generic") return "secret";
  return "password";
}

bool is_secret_field_name(std::string_view field) {
  static const std::array<std::string_view, 9> names = {
      "password",   "private_key", "token",   "secret",           "passphrase",
      "client_key", "sslkey",      "api_key", "secret_access_key"};
  return std::find(names.begin(), names.end(), field) != names.end();
}

std::string_view to_string(VersionKind kind) {
  switch (kind) {
    case VersionKind::active:
      return "active";
    case VersionKind::pending:
      return "pending";
    case VersionKind::revocation:
      return "revocation";
  }
  return "unknown";
}

crypto::SecretBytes encode_credential(const CredentialVersion& v) {
  json meta{{"name", v.name},
            {"type", v.type},
            {"version", v.version},
            {"kind", to_string(v.kind)},
            {"fields", v.fields},
            {"secret_field", v.secret_field},
            {"created", v.created},
            {"credential_created", v.credential_created},
            {"actor", v.actor},
            {"generation_policy", v.generation_policy},
            {"current_version", v.current_version},
            {"revoked", v.revoked},
            {"purged", v.purged},
            {"markers", v.markers},
            {"current_secret_names", v.current_secret_names}};
  if (v.rotate_every) meta["rotate_every"] = util::format_duration(*v.rotate_every);
  if (!v.revoke_after.empty()) {
    json grace = json::object();
    for (const auto& [version, when] : v.revoke_after) grace[std::to_string(version)] = when;
    meta["revoke_after"] = grace;
  }
  if (!v.pending_owner.empty()) meta["pending_owner"] = v.pending_owner;
  const auto text = meta.dump();
  crypto::SecretBytes out = crypto::SecretBytes::from(k_record_magic);
  put_uint(out, text.size(), 4);
  out.append(text);
  put_uint(out, v.secrets.size(), 2);
  for (const auto& [name, value] : v.secrets) {
    put_uint(out, name.size(), 2);
    out.append(name);
    put_uint(out, value.size(), 4);
    out.append(value.bytes());
  }
  return out;
}

CredentialVersion decode_credential(const crypto::SecretBytes& plaintext) {
  Reader reader(plaintext);
  if (reader.view(k_record_magic.size()) != k_record_magic) {
    fail(ErrorCode::auth, "credential record has an unknown format");
  }
  CredentialVersion v;
  const auto meta_text = reader.view(static_cast<std::size_t>(reader.uint(4)));
  const auto meta = json::parse(meta_text, nullptr, /*allow_exceptions=*/false);
  if (!meta.is_object()) fail(ErrorCode::auth, "credential record has malformed metadata");
  try {
    v.name = meta.at("name").get<std::string>();
    v.type = meta.at("type").get<std::string>();
    v.version = util::json_integer<std::uint32_t>(meta.at("version"));
    const auto kind = meta.at("kind").get<std::string>();
    v.kind = kind == "pending"      ? VersionKind::pending
             : kind == "revocation" ? VersionKind::revocation
                                    : VersionKind::active;
    v.fields = meta.at("fields").get<std::map<std::string, std::string>>();
    v.secret_field = meta.at("secret_field").get<std::string>();
    v.created = meta.at("created").get<std::string>();
    v.credential_created = meta.at("credential_created").get<std::string>();
    v.actor = meta.value("actor", "");
    v.generation_policy = meta.value("generation_policy", "");
    v.current_version = util::json_integer<std::uint32_t>(meta.at("current_version"));
    v.revoked = meta.at("revoked").get<std::set<std::uint32_t>>();
    v.purged = meta.value("purged", std::set<std::uint32_t>{});
    v.markers = meta.value("markers", std::set<std::uint32_t>{});
    v.current_secret_names = meta.value("current_secret_names", std::set<std::string>{});
    if (const auto grace = meta.find("revoke_after"); grace != meta.end()) {
      for (const auto& [version, when] : grace->items()) {
        v.revoke_after[static_cast<std::uint32_t>(std::stoul(version))] = when.get<std::string>();
      }
    }
    v.pending_owner = meta.value("pending_owner", "");
    if (meta.contains("rotate_every")) {
      v.rotate_every = util::parse_duration(meta.at("rotate_every").get<std::string>());
    }
  } catch (const json::exception&) {
    fail(ErrorCode::auth, "credential record has malformed metadata");
  } catch (const std::logic_error&) {  // std::stoul on a malformed version key
    fail(ErrorCode::auth, "credential record has malformed metadata");
  }
  const auto count = reader.uint(2);
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string name(reader.view(static_cast<std::size_t>(reader.uint(2))));
    const auto value = reader.view(static_cast<std::size_t>(reader.uint(4)));
    v.secrets.emplace(std::move(name), crypto::SecretBytes::from(value));
  }
  if (!reader.done()) fail(ErrorCode::auth, "credential record has trailing bytes");
  return v;
}

}  // namespace ward::vault
