#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// A minimal TLS ClientHello writer and ServerHello reader. Debian's OpenSSL 3.0 can neither offer
// nor negotiate SSLv3, RC4, DES, 3DES or export suites, so ward asks for them with a hand-built
// ClientHello and reads the server's choice from its ServerHello, as sslscan and testssl.sh do.
// No key exchange follows: the answer to "would you pick one of these?" is in the first reply.
// Pure functions from bytes to values, so they can be fuzzed.
namespace ward::check::hello {

// Protocol version numbers on the wire.
constexpr std::uint16_t k_ssl3 = 0x0300;
constexpr std::uint16_t k_tls10 = 0x0301;
constexpr std::uint16_t k_tls11 = 0x0302;
constexpr std::uint16_t k_tls12 = 0x0303;
constexpr std::uint16_t k_tls13 = 0x0304;

// The weakness classes a cipher suite can belong to (a bit set: RC4-export is both).
enum SuiteClass : unsigned {
  k_null = 1U << 0,      // no encryption
  k_anon = 1U << 1,      // no server authentication
  k_export = 1U << 2,    // 40/56-bit export grade
  k_rc4 = 1U << 3,       // RC4 stream cipher
  k_des = 1U << 4,       // single DES
  k_3des = 1U << 5,      // triple DES (64-bit block: Sweet32)
  k_cbc_sha1 = 1U << 6,  // AES/Camellia/SEED in CBC mode with HMAC-SHA1
  k_no_fs = 1U << 7,     // static RSA key exchange: no forward secrecy
};

struct Suite {
  std::uint16_t id;
  std::string_view name;  // IANA name
  unsigned classes;       // SuiteClass bits
};

// Every suite ward knows (legacy and weak ones, plus the common modern TLS 1.2 ones), ordered by
// id.
[[nodiscard]] std::span<const Suite> known_suites();
[[nodiscard]] std::optional<Suite> find_suite(std::uint16_t id);
// The known suites in any of the classes in `mask`.
[[nodiscard]] std::vector<std::uint16_t> suites_in(unsigned mask);
// A name for any suite id: the IANA name if known, else 0xABCD.
[[nodiscard]] std::string suite_name(std::uint16_t id);
[[nodiscard]] std::string version_name(std::uint16_t version);

// A ClientHello record offering `suites` at `version` (SSL 3.0 to TLS 1.2), with the extensions
// a TLS 1.2 server expects (server name when `sni` is a host name, supported groups, point
// formats, signature algorithms, secure renegotiation); SSL 3.0 hellos carry no extensions.
// `random` fills the 32-byte random field (the caller supplies entropy; tests a fixed value).
[[nodiscard]] std::vector<std::uint8_t> client_hello(std::uint16_t version,
                                                     std::span<const std::uint16_t> suites,
                                                     std::string_view sni,
                                                     std::span<const std::uint8_t, 32> random);

struct ServerReply {
  enum class Kind {
    incomplete,    // a prefix of a valid reply: read more bytes
    server_hello,  // the server picked `cipher` at `version`
    alert,         // the server refused (`alert_description`, e.g. 40 handshake_failure)
    malformed,     // not TLS, or TLS that makes no sense: `error` says why
  };
  Kind kind = Kind::incomplete;
  std::uint16_t version = 0;  // negotiated (supported_versions extension honoured)
  std::uint16_t cipher = 0;
  std::uint8_t alert_level = 0;
  std::uint8_t alert_description = 0;
  std::string error;
};

// Reads the server's first flight: its records until the ServerHello (which may be split across
// records) or an alert. Never reads beyond `bytes`; never throws.
[[nodiscard]] ServerReply parse_server_reply(std::span<const std::uint8_t> bytes);

// The name of a TLS alert description (40 → "handshake_failure").
[[nodiscard]] std::string alert_name(std::uint8_t description);

}  // namespace ward::check::hello
