#include "ward/check/tls_hello.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace ward::check::hello {
namespace {

constexpr unsigned k_none = 0;
constexpr std::array<std::uint16_t, 4> k_groups{0x001D, 0x0017, 0x0018, 0x0019};
// SHA-1 and DSA included so that old servers can answer at all.
constexpr std::array<std::uint16_t, 14> k_signature_algorithms{
    0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0403,
    0x0503, 0x0603, 0x0807, 0x0201, 0x0203, 0x0202, 0x0402};

// Ordered by id for find_suite's binary search.
constexpr std::array k_suites{
    Suite{0x0001, "TLS_RSA_WITH_NULL_MD5", k_null | k_no_fs},
    Suite{0x0002, "TLS_RSA_WITH_NULL_SHA", k_null | k_no_fs},
    Suite{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", k_export | k_rc4 | k_no_fs},
    Suite{0x0004, "TLS_RSA_WITH_RC4_128_MD5", k_rc4 | k_no_fs},
    Suite{0x0005, "TLS_RSA_WITH_RC4_128_SHA", k_rc4 | k_no_fs},
    Suite{0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", k_export | k_no_fs},
    Suite{0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", k_export | k_des | k_no_fs},
    Suite{0x0009, "TLS_RSA_WITH_DES_CBC_SHA", k_des | k_no_fs},
    Suite{0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", k_3des | k_no_fs},
    Suite{0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA", k_export | k_des | k_no_fs},
    Suite{0x000C, "TLS_DH_DSS_WITH_DES_CBC_SHA", k_des | k_no_fs},
    Suite{0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", k_3des | k_no_fs},
    Suite{0x000E, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA", k_export | k_des | k_no_fs},
    Suite{0x000F, "TLS_DH_RSA_WITH_DES_CBC_SHA", k_des | k_no_fs},
    Suite{0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", k_3des | k_no_fs},
    Suite{0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", k_export | k_des},
    Suite{0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", k_des},
    Suite{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", k_3des},
    Suite{0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", k_export | k_des},
    Suite{0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", k_des},
    Suite{0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", k_3des},
    Suite{0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", k_anon | k_export | k_rc4},
    Suite{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", k_anon | k_rc4},
    Suite{0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA", k_anon | k_export | k_des},
    Suite{0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA", k_anon | k_des},
    Suite{0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", k_anon | k_3des},
    Suite{0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", k_cbc_sha1 | k_no_fs},
    Suite{0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", k_cbc_sha1},
    Suite{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", k_cbc_sha1},
    Suite{0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", k_anon | k_cbc_sha1},
    Suite{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", k_cbc_sha1 | k_no_fs},
    Suite{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", k_cbc_sha1},
    Suite{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", k_cbc_sha1},
    Suite{0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA", k_anon | k_cbc_sha1},
    Suite{0x003B, "TLS_RSA_WITH_NULL_SHA256", k_null | k_no_fs},
    Suite{0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", k_no_fs},
    Suite{0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", k_no_fs},
    Suite{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", k_cbc_sha1 | k_no_fs},
    Suite{0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", k_cbc_sha1},
    Suite{0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA", k_anon | k_cbc_sha1},
    Suite{0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA", k_export | k_des | k_no_fs},
    Suite{0x0063, "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA", k_export | k_des},
    Suite{0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA", k_export | k_rc4 | k_no_fs},
    Suite{0x0065, "TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA", k_export | k_rc4},
    Suite{0x0066, "TLS_DHE_DSS_WITH_RC4_128_SHA", k_rc4},
    Suite{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", k_none},
    Suite{0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", k_none},
    Suite{0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", k_anon},
    Suite{0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", k_anon},
    Suite{0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", k_cbc_sha1 | k_no_fs},
    Suite{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", k_cbc_sha1},
    Suite{0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA", k_anon | k_cbc_sha1},
    Suite{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", k_cbc_sha1 | k_no_fs},
    Suite{0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", k_cbc_sha1},
    Suite{0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", k_no_fs},
    Suite{0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", k_no_fs},
    Suite{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", k_none},
    Suite{0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", k_none},
    Suite{0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", k_anon},
    Suite{0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", k_anon},
    Suite{0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", k_no_fs},
    Suite{0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", k_no_fs},
    Suite{0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA", k_null | k_no_fs},
    Suite{0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", k_rc4 | k_no_fs},
    Suite{0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", k_3des | k_no_fs},
    Suite{0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", k_cbc_sha1 | k_no_fs},
    Suite{0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", k_cbc_sha1 | k_no_fs},
    Suite{0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", k_null},
    Suite{0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", k_rc4},
    Suite{0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", k_3des},
    Suite{0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", k_cbc_sha1},
    Suite{0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", k_cbc_sha1},
    Suite{0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA", k_null | k_no_fs},
    Suite{0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA", k_rc4 | k_no_fs},
    Suite{0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", k_3des | k_no_fs},
    Suite{0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", k_cbc_sha1 | k_no_fs},
    Suite{0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", k_cbc_sha1 | k_no_fs},
    Suite{0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA", k_null},
    Suite{0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", k_rc4},
    Suite{0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", k_3des},
    Suite{0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", k_cbc_sha1},
    Suite{0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", k_cbc_sha1},
    Suite{0xC015, "TLS_ECDH_anon_WITH_NULL_SHA", k_anon | k_null},
    Suite{0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA", k_anon | k_rc4},
    Suite{0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", k_anon | k_3des},
    Suite{0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", k_anon | k_cbc_sha1},
    Suite{0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", k_anon | k_cbc_sha1},
    Suite{0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", k_none},
    Suite{0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", k_none},
    Suite{0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", k_none},
    Suite{0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", k_none},
    Suite{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", k_none},
    Suite{0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", k_none},
    Suite{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", k_none},
    Suite{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", k_none},
    Suite{0xC09C, "TLS_RSA_WITH_AES_128_CCM", k_no_fs},
    Suite{0xC09D, "TLS_RSA_WITH_AES_256_CCM", k_no_fs},
    Suite{0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", k_no_fs},
    Suite{0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", k_no_fs},
    Suite{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", k_none},
    Suite{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", k_none},
    Suite{0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", k_none},
};

constexpr std::uint8_t k_record_handshake = 22;
constexpr std::uint8_t k_record_alert = 21;
constexpr std::uint8_t k_client_hello = 1;
constexpr std::uint8_t k_server_hello = 2;
constexpr std::size_t k_max_record = (1U << 14) + 2048;

void put16(std::vector<std::uint8_t>& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>((v >> 8) & 0xFF));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

void put24(std::vector<std::uint8_t>& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>((v >> 16) & 0xFF));
  put16(out, v & 0xFFFF);
}

// Writes a 16-bit length prefix for the bytes `body` appends.
template <typename Body>
void with_length16(std::vector<std::uint8_t>& out, Body body) {
  const std::size_t at = out.size();
  put16(out, 0);
  body();
  const std::size_t n = out.size() - at - 2;
  out[at] = static_cast<std::uint8_t>((n >> 8) & 0xFF);
  out[at + 1] = static_cast<std::uint8_t>(n & 0xFF);
}

bool is_ip_literal(std::string_view host) {
  const std::string text(host);
  std::array<unsigned char, 16> buf{};
  return ::inet_pton(AF_INET, text.c_str(), buf.data()) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buf.data()) == 1;
}

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

ServerReply malformed(std::string why) {
  ServerReply reply;
  reply.kind = ServerReply::Kind::malformed;
  reply.error = std::move(why);
  return reply;
}

// Parses a complete ServerHello body.
ServerReply parse_server_hello(std::span<const std::uint8_t> body) {
  // version(2) random(32) session_id_len(1)
  if (body.size() < 35) return malformed("ServerHello too short");
  ServerReply reply;
  reply.kind = ServerReply::Kind::server_hello;
  reply.version = get16(body, 0);
  std::size_t at = 34;
  const std::size_t sid = body[at];
  at += 1;
  if (sid > 32 || body.size() < at + sid + 3) return malformed("ServerHello session id too long");
  at += sid;
  reply.cipher = get16(body, at);
  at += 3;  // cipher suite and compression method
  if (at == body.size()) return reply;
  if (body.size() < at + 2) return malformed("ServerHello extensions truncated");
  const std::size_t ext_len = get16(body, at);
  at += 2;
  if (body.size() != at + ext_len) return malformed("ServerHello extensions length mismatch");
  while (at < body.size()) {
    if (body.size() < at + 4) return malformed("ServerHello extension truncated");
    const auto type = get16(body, at);
    const std::size_t len = get16(body, at + 2);
    at += 4;
    if (body.size() < at + len) return malformed("ServerHello extension truncated");
    if (type == 0x002B) {  // supported_versions: the real version of a TLS 1.3 server
      if (len != 2) return malformed("ServerHello supported_versions malformed");
      reply.version = get16(body, at);
    }
    at += len;
  }
  return reply;
}

}  // namespace

std::span<const Suite> known_suites() { return k_suites; }

std::optional<Suite> find_suite(std::uint16_t id) {
  const auto* it = std::lower_bound(k_suites.begin(), k_suites.end(), id,
                                    [](const Suite& s, std::uint16_t v) { return s.id < v; });
  if (it == k_suites.end() || it->id != id) return std::nullopt;
  return *it;
}

std::vector<std::uint16_t> suites_in(unsigned mask) {
  std::vector<std::uint16_t> out;
  for (const auto& suite : k_suites) {
    if ((suite.classes & mask) != 0) out.push_back(suite.id);
  }
  return out;
}

std::string suite_name(std::uint16_t id) {
  if (const auto suite = find_suite(id)) return std::string(suite->name);
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%04X", static_cast<unsigned>(id));
  return buf;
}

std::string version_name(std::uint16_t version) {
  switch (version) {
    case k_ssl3:
      return "SSLv3";
    case k_tls10:
      return "TLSv1";
    case k_tls11:
      return "TLSv1.1";
    case k_tls12:
      return "TLSv1.2";
    case k_tls13:
      return "TLSv1.3";
    default: {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "0x%04X", static_cast<unsigned>(version));
      return buf;
    }
  }
}

std::vector<std::uint8_t> client_hello(std::uint16_t version, std::span<const std::uint16_t> suites,
                                       std::string_view sni,
                                       std::span<const std::uint8_t, 32> random) {
  std::vector<std::uint8_t> out;
  out.push_back(k_record_handshake);
  // The record layer says SSL 3.0 / TLS 1.0 as most clients do; some servers choke on more.
  put16(out, version == k_ssl3 ? k_ssl3 : k_tls10);
  with_length16(out, [&] {
    out.push_back(k_client_hello);
    const std::size_t at = out.size();
    put24(out, 0);
    put16(out, version);
    out.insert(out.end(), random.begin(), random.end());
    out.push_back(0);  // no session id
    with_length16(out, [&] {
      for (const auto suite : suites) put16(out, suite);
    });
    out.push_back(1);  // one compression method: none
    out.push_back(0);
    if (version != k_ssl3) {
      with_length16(out, [&] {
        if (!sni.empty() && !is_ip_literal(sni) && sni.size() < 256) {
          put16(out, 0x0000);  // server_name
          with_length16(out, [&] {
            with_length16(out, [&] {
              out.push_back(0);  // host_name
              with_length16(out, [&] { out.insert(out.end(), sni.begin(), sni.end()); });
            });
          });
        }
        put16(out, 0x000A);  // supported_groups: x25519, P-256, P-384, P-521
        with_length16(out, [&] {
          with_length16(out, [&] {
            for (const auto group : k_groups) put16(out, group);
          });
        });
        put16(out, 0x000B);  // ec_point_formats: uncompressed
        with_length16(out, [&] {
          out.push_back(1);
          out.push_back(0);
        });
        put16(out, 0x000D);  // signature_algorithms, SHA-1 included so old servers can answer
        with_length16(out, [&] {
          with_length16(out, [&] {
            for (const auto alg : k_signature_algorithms) put16(out, alg);
          });
        });
        put16(out, 0xFF01);  // renegotiation_info, empty: secure renegotiation supported
        with_length16(out, [&] { out.push_back(0); });
      });
    }
    const std::size_t n = out.size() - at - 3;
    out[at] = static_cast<std::uint8_t>((n >> 16) & 0xFF);
    out[at + 1] = static_cast<std::uint8_t>((n >> 8) & 0xFF);
    out[at + 2] = static_cast<std::uint8_t>(n & 0xFF);
  });
  return out;
}

ServerReply parse_server_reply(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint8_t> handshake;  // handshake bytes gathered across records
  std::size_t at = 0;
  while (true) {
    if (bytes.size() < at + 5) return {};  // incomplete
    const std::uint8_t type = bytes[at];
    const std::uint8_t major = bytes[at + 1];
    const std::size_t len = get16(bytes, at + 3);
    if (type < 20 || type > 24 || major != 3) return malformed("not a TLS record");
    if (len == 0 || len > k_max_record) return malformed("TLS record length out of range");
    if (bytes.size() < at + 5 + len) return {};
    const auto payload = bytes.subspan(at + 5, len);
    at += 5 + len;
    if (type == k_record_alert) {
      if (!handshake.empty()) return malformed("alert inside a handshake message");
      if (len < 2) return malformed("alert record too short");
      ServerReply reply;
      reply.kind = ServerReply::Kind::alert;
      reply.alert_level = payload[0];
      reply.alert_description = payload[1];
      return reply;
    }
    if (type != k_record_handshake)
      return malformed("unexpected TLS record type before ServerHello");
    handshake.insert(handshake.end(), payload.begin(), payload.end());
    if (handshake.size() < 4) continue;
    if (handshake[0] != k_server_hello)
      return malformed("first handshake message is not a ServerHello");
    const std::size_t msg_len = (static_cast<std::size_t>(handshake[1]) << 16) |
                                (static_cast<std::size_t>(handshake[2]) << 8) | handshake[3];
    if (msg_len > 0xFFFF) return malformed("ServerHello too long");
    if (handshake.size() < 4 + msg_len) continue;
    return parse_server_hello(std::span<const std::uint8_t>(handshake).subspan(4, msg_len));
  }
}

std::string alert_name(std::uint8_t description) {
  switch (description) {
    case 0:
      return "close_notify";
    case 10:
      return "unexpected_message";
    case 20:
      return "bad_record_mac";
    case 40:
      return "handshake_failure";
    case 42:
      return "bad_certificate";
    case 47:
      return "illegal_parameter";
    case 50:
      return "decode_error";
    case 70:
      return "protocol_version";
    case 71:
      return "insufficient_security";
    case 80:
      return "internal_error";
    case 86:
      return "inappropriate_fallback";
    case 109:
      return "missing_extension";
    case 112:
      return "unrecognized_name";
    default:
      return "alert " + std::to_string(description);
  }
}

}  // namespace ward::check::hello
