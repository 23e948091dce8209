#include "ward/store/sigv4.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/hash.hpp"

namespace ward::store::sigv4 {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Header values are signed trimmed, with runs of spaces folded into one.
std::string canonical_value(std::string_view value) {
  std::string out;
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(k_hex[c >> 4U]);
      out.push_back(k_hex[c & 0xFU]);
    }
  }
  return out;
}

std::string canonical_query(const Pairs& query) {
  Pairs encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point when) {
  const auto seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

std::string sha256_hex(std::string_view data) {
  return crypto::hex_encode(crypto::sha256(bytes_of(data)));
}

Signature sign(const Request& request, const Credentials& credentials, std::string_view region,
               std::string_view service, std::string_view amz_date) {
  // Headers: lowercase names, sorted; repeated names joined by commas in their order.
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    auto key = lowercase(name);
    auto found = std::find_if(headers.begin(), headers.end(),
                              [&](const auto& header) { return header.first == key; });
    if (found != headers.end()) {
      found->second += "," + canonical_value(value);
    } else {
      headers.emplace_back(std::move(key), canonical_value(value));
    }
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Signature out;
  std::string canonical_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers.append(name).append(":").append(value).append("\n");
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += name;
  }
  out.canonical_request = request.method + "\n" + uri_encode(request.path, true) + "\n" +
                          canonical_query(request.query) + "\n" + canonical_headers + "\n" +
                          out.signed_headers + "\n" + request.payload_sha256;

  const auto date = amz_date.substr(0, 8);
  const auto scope =
      std::string(date) + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  out.string_to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + scope + "\n" +
                       sha256_hex(out.canonical_request);

  // The signing key is derived from the secret; it is as sensitive as the secret for a day.
  crypto::SecretBytes key = crypto::SecretBytes::from("AWS4");
  key.append(credentials.secret_access_key.bytes());
  for (const auto part : {date, region, service, std::string_view("aws4_request")}) {
    const auto next = crypto::hmac_sha256(key.bytes(), bytes_of(part));
    key = crypto::SecretBytes(next.data(), next.size());
  }
  out.signature =
      crypto::hex_encode(crypto::hmac_sha256(key.bytes(), bytes_of(out.string_to_sign)));
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                      ", SignedHeaders=" + out.signed_headers + ", Signature=" + out.signature;
  return out;
}

}  // namespace ward::store::sigv4
