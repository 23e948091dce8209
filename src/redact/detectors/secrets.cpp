// Secrets that must never sit in logs or exports: PEM private keys, cloud access keys, JSON
// Web Tokens and bearer tokens. Near misses they reject: PEM public keys and certificates,
// mismatched BEGIN/END labels, "eyJ…" strings whose header is not JSON with an "alg", prose
// such as "Bearer authentication", key-id lookalikes glued to more characters.
#include "detectors.hpp"
#include "ward/crypto/encoding.hpp"

namespace ward::redact::detectors {
namespace {

bool valid_private_key(std::string_view text, std::size_t& begin, std::size_t& end) {
  const auto item = text.substr(begin, end - begin);
  constexpr std::string_view begin_tag = "-----BEGIN ";
  constexpr std::string_view end_tag = "-----END ";
  const auto label_end = item.find("-----", begin_tag.size());
  const auto end_at = item.rfind(end_tag);
  if (label_end == std::string_view::npos || end_at == std::string_view::npos) return false;
  const auto label = item.substr(begin_tag.size(), label_end - begin_tag.size());
  const auto closing = item.substr(end_at + end_tag.size());
  return closing.substr(0, closing.size() - 5) == label;
}

bool valid_cloud_key(std::string_view text, std::size_t& begin, std::size_t& end) {
  auto item = text.substr(begin, end - begin);
  if (item.starts_with("AccountKey=")) {
    begin += 11;  // the Azure key itself, not its name
    return true;
  }
  return at_word_boundaries(text, begin, end);
}

std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view part) {
  std::string standard(part);
  for (auto& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (standard.size() % 4 != 0) standard += '=';
  return crypto::base64_decode(standard);
}

bool valid_jwt(std::string_view text, std::size_t& begin, std::size_t& end) {
  if (!at_word_boundaries(text, begin, end)) return false;
  const auto item = text.substr(begin, end - begin);
  const auto header = base64url_decode(item.substr(0, item.find('.')));
  if (!header) return false;
  const std::string_view json(reinterpret_cast<const char*>(header->data()), header->size());
  return json.starts_with("{") && json.find("\"alg\"") != std::string_view::npos;
}

bool valid_bearer(std::string_view text, std::size_t& begin, std::size_t& end) {
  if (begin > 0 && is_word_byte(text[begin - 1])) return false;
  auto token_start = begin + 6;  // "Bearer"
  while (token_start < end && text[token_start] == ' ') ++token_start;
  const auto token = text.substr(token_start, end - token_start);
  bool digit = false;
  for (const char c : token) digit = digit || is_digit(c);
  if (!digit) return false;  // "Bearer authentication-required" is prose, not a token
  begin = token_start;
  return true;
}

}  // namespace

std::shared_ptr<const Detector> private_key() {
  return make_detector(
      "private_key", "PEM private keys (RSA, EC, OpenSSH, PKCS#8, encrypted)",
      {{R"(-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----(?:[^\-]|-[^\-])*-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----)",
        false, false}},
      valid_private_key, Extent::shortest);
}

std::shared_ptr<const Detector> cloud_key() {
  return make_detector("cloud_key",
                       "cloud access keys (AWS key ids, Google API keys, Azure storage account "
                       "keys, GitHub and Slack tokens)",
                       {
                           {R"(\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b)"},
                           {R"(\bAIza[0-9A-Za-z_\-]{35})"},
                           {R"(AccountKey=[A-Za-z0-9+/]{86}==)"},
                           {R"(\bgh[pousr]_[A-Za-z0-9]{36}\b)"},
                           {R"(\bxox[abposr]-[0-9A-Za-z\-]{10,72})"},
                       },
                       valid_cloud_key);
}

std::shared_ptr<const Detector> jwt() {
  return make_detector("jwt", "JSON Web Tokens (header checked)",
                       {{R"(\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,})"}},
                       valid_jwt);
}

std::shared_ptr<const Detector> bearer_token() {
  return make_detector("bearer", "bearer tokens in Authorization headers (the token only)",
                       {{R"(\b[Bb]earer +[A-Za-z0-9\-._~+/]{16,}=*)"}}, valid_bearer);
}

}  // namespace ward::redact::detectors
