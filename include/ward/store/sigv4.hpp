#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ward/crypto/secret.hpp"

// AWS Signature Version 4 for S3 requests (header-based signing), on OpenSSL's SHA-256 and
// HMAC. Checked against AWS's published examples in tests/unit/store_sigv4_test.cpp.
namespace ward::store::sigv4 {

struct Credentials {
  std::string access_key_id;
  crypto::SecretBytes secret_access_key;
  std::string session_token;  // empty unless the credentials are temporary
};

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string path;            // the request path, not yet encoded: "/bucket/key"
  Pairs query;                 // decoded names and values; a name alone has an empty value
  Pairs headers;               // every header to sign, including host and x-amz-date
  std::string payload_sha256;  // hex digest of the body, or "UNSIGNED-PAYLOAD"
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-content-sha256;x-amz-date"
  std::string signature;       // hex
  std::string authorization;   // the Authorization header value
};

// `amz_date` is the request time as YYYYMMDD'T'HHMMSS'Z', the value of x-amz-date.
Signature sign(const Request& request, const Credentials& credentials, std::string_view region,
               std::string_view service, std::string_view amz_date);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters stay, everything else is
// %XX (uppercase); '/' stays when `keep_slash` (paths) and is encoded otherwise (query parts).
std::string uri_encode(std::string_view text, bool keep_slash);

// The canonical query string: names and values encoded, sorted by name, then value.
std::string canonical_query(const Pairs& query);

// YYYYMMDD'T'HHMMSS'Z' in UTC.
std::string amz_date(std::chrono::system_clock::time_point when);

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace ward::store::sigv4
