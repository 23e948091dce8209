#include <catch2/catch.hpp>
#include <random>

#include "test_support.hpp"
#include "ward/check/net.hpp"
#include "ward/check/tls_hello.hpp"

namespace hello = ward::check::hello;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::array<std::uint8_t, 32> k_random{};

// A ServerHello handshake message (type, 24-bit length, body).
Bytes server_hello_message(std::uint16_t version, std::uint16_t cipher, const Bytes& extensions) {
  Bytes body{static_cast<std::uint8_t>(version >> 8), static_cast<std::uint8_t>(version)};
  body.resize(body.size() + 32, 0xAB);  // random
  body.push_back(32);                   // session id
  body.resize(body.size() + 32, 0xCD);
  body.push_back(static_cast<std::uint8_t>(cipher >> 8));
  body.push_back(static_cast<std::uint8_t>(cipher));
  body.push_back(0);  // compression
  if (!extensions.empty()) {
    body.push_back(static_cast<std::uint8_t>(extensions.size() >> 8));
    body.push_back(static_cast<std::uint8_t>(extensions.size()));
    body.insert(body.end(), extensions.begin(), extensions.end());
  }
  // Length prefix written into the front of the body: GCC 12 misreads an insert into a
  // four-byte vector as out of bounds (-Warray-bounds).
  const auto size = body.size();
  const Bytes header{2, 0, static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
  body.insert(body.begin(), header.begin(), header.end());
  return body;
}

Bytes record(std::uint8_t type, const Bytes& payload, std::uint16_t version = 0x0303) {
  Bytes out{type, static_cast<std::uint8_t>(version >> 8), static_cast<std::uint8_t>(version),
            static_cast<std::uint8_t>(payload.size() >> 8),
            static_cast<std::uint8_t>(payload.size())};
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::size_t get16(const Bytes& b, std::size_t at) { return (b[at] << 8) | b[at + 1]; }

}  // namespace

TEST_CASE("tls hello: the suite table is sorted and classified") {
  const auto suites = hello::known_suites();
  for (std::size_t i = 1; i < suites.size(); ++i) CHECK(suites[i - 1].id < suites[i].id);
  CHECK(hello::find_suite(0x0005)->name == "TLS_RSA_WITH_RC4_128_SHA");
  CHECK((hello::find_suite(0x0005)->classes & hello::k_rc4) != 0);
  CHECK((hello::find_suite(0x000A)->classes & hello::k_3des) != 0);
  CHECK((hello::find_suite(0xC02F)->classes) == 0);
  CHECK_FALSE(hello::find_suite(0x1301));
  CHECK(hello::suite_name(0x1301) == "0x1301");
  const auto rc4 = hello::suites_in(hello::k_rc4);
  CHECK(std::find(rc4.begin(), rc4.end(), 0xC011) != rc4.end());
  CHECK(std::find(rc4.begin(), rc4.end(), 0xC02F) == rc4.end());
  CHECK(hello::version_name(0x0303) == "TLSv1.2");
  CHECK(hello::alert_name(40) == "handshake_failure");
}

TEST_CASE("tls hello: a ClientHello is well-formed, with SNI only for host names") {
  const std::vector<std::uint16_t> suites{0x0005, 0x000A};
  const auto with_sni = hello::client_hello(hello::k_tls12, suites, "db.example.com", k_random);
  REQUIRE(with_sni.size() > 50);
  CHECK(with_sni[0] == 22);
  CHECK(get16(with_sni, 1) == 0x0301);
  CHECK(get16(with_sni, 3) == with_sni.size() - 5);
  CHECK(with_sni[5] == 1);  // ClientHello
  const std::size_t hs_len = (with_sni[6] << 16) | (with_sni[7] << 8) | with_sni[8];
  CHECK(hs_len == with_sni.size() - 9);
  CHECK(get16(with_sni, 9) == 0x0303);
  // After version, random and an empty session id: the suites.
  CHECK(with_sni[43] == 0);
  CHECK(get16(with_sni, 44) == 4);
  CHECK(get16(with_sni, 46) == 0x0005);
  CHECK(get16(with_sni, 48) == 0x000A);
  const std::string text(with_sni.begin(), with_sni.end());
  CHECK(text.find("db.example.com") != std::string::npos);

  const auto by_ip = hello::client_hello(hello::k_tls12, suites, "127.0.0.1", k_random);
  CHECK(std::string(by_ip.begin(), by_ip.end()).find("127.0.0.1") == std::string::npos);
  CHECK(by_ip.size() < with_sni.size());

  const auto ssl3 = hello::client_hello(hello::k_ssl3, suites, "db.example.com", k_random);
  CHECK(get16(ssl3, 1) == 0x0300);
  CHECK(get16(ssl3, 9) == 0x0300);
  // No extensions: the message ends after the compression methods.
  CHECK(ssl3.size() == 5 + 4 + 2 + 32 + 1 + 2 + 4 + 2);
}

TEST_CASE("tls hello: ServerHello, alert, split records, TLS 1.3 supported_versions") {
  const auto plain = record(22, server_hello_message(0x0303, 0xC011, {}));
  auto reply = hello::parse_server_reply(plain);
  REQUIRE(reply.kind == hello::ServerReply::Kind::server_hello);
  CHECK(reply.version == 0x0303);
  CHECK(reply.cipher == 0xC011);

  // Every strict prefix asks for more bytes.
  for (std::size_t n = 0; n < plain.size(); ++n) {
    const auto prefix = std::span<const std::uint8_t>(plain).first(n);
    CHECK(hello::parse_server_reply(prefix).kind == hello::ServerReply::Kind::incomplete);
  }

  // The same message split over two records.
  const auto msg = server_hello_message(0x0301, 0x0005, {});
  auto split = record(22, Bytes(msg.begin(), msg.begin() + 10), 0x0301);
  const auto second = record(22, Bytes(msg.begin() + 10, msg.end()), 0x0301);
  split.insert(split.end(), second.begin(), second.end());
  reply = hello::parse_server_reply(split);
  REQUIRE(reply.kind == hello::ServerReply::Kind::server_hello);
  CHECK(reply.version == 0x0301);
  CHECK(reply.cipher == 0x0005);

  // supported_versions overrides the legacy version field.
  const Bytes ext{0x00, 0x2B, 0x00, 0x02, 0x03, 0x04};
  reply = hello::parse_server_reply(record(22, server_hello_message(0x0303, 0x1301, ext)));
  REQUIRE(reply.kind == hello::ServerReply::Kind::server_hello);
  CHECK(reply.version == 0x0304);

  reply = hello::parse_server_reply(record(21, {2, 40}));
  REQUIRE(reply.kind == hello::ServerReply::Kind::alert);
  CHECK(reply.alert_level == 2);
  CHECK(reply.alert_description == 40);
}

TEST_CASE("tls hello: garbage and nonsense are malformed, never a crash") {
  const std::string http = "HTTP/1.1 400 Bad Request\r\n\r\n";
  CHECK(hello::parse_server_reply(Bytes(http.begin(), http.end())).kind ==
        hello::ServerReply::Kind::malformed);
  // A handshake record that holds a Certificate instead of a ServerHello.
  CHECK(hello::parse_server_reply(record(22, {11, 0, 0, 3, 0, 0, 0})).kind ==
        hello::ServerReply::Kind::malformed);
  // Extensions whose length disagrees with the message.
  auto bad = server_hello_message(0x0303, 0xC02F, {0x00, 0x2B, 0x00, 0x05, 0x03, 0x04});
  CHECK(hello::parse_server_reply(record(22, bad)).kind == hello::ServerReply::Kind::malformed);
  // Session id longer than 32.
  auto long_sid = server_hello_message(0x0303, 0xC02F, {});
  long_sid[4 + 34] = 200;
  CHECK(hello::parse_server_reply(record(22, long_sid)).kind ==
        hello::ServerReply::Kind::malformed);
  CHECK(hello::parse_server_reply(record(21, {2})).kind == hello::ServerReply::Kind::malformed);

  std::mt19937 rng(1234);
  for (int i = 0; i < 20000; ++i) {
    Bytes junk(rng() % 200);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    if (i % 2 == 0 && junk.size() >= 5) {  // plausible headers reach deeper code
      junk[0] = 22;
      junk[1] = 3;
      junk[3] = 0;
      junk[4] = static_cast<std::uint8_t>(junk.size() - 5);
      if (junk.size() > 5) junk[5] = 2;
    }
    (void)hello::parse_server_reply(junk);
  }
}

TEST_CASE("check net: targets parse as HOST[:PORT]") {
  namespace net = ward::check::net;
  auto e = net::parse_endpoint("db.example.com", 443);
  CHECK(e.host == "db.example.com");
  CHECK(e.port == 443);
  e = net::parse_endpoint("127.0.0.1:8443", 443);
  CHECK(e.host == "127.0.0.1");
  CHECK(e.port == 8443);
  CHECK(e.text() == "127.0.0.1:8443");
  e = net::parse_endpoint("[::1]:5432", 443);
  CHECK(e.host == "::1");
  CHECK(e.port == 5432);
  CHECK(e.text() == "[::1]:5432");
  e = net::parse_endpoint("::1", 25);
  CHECK(e.host == "::1");
  CHECK(e.port == 25);
  for (const auto* bad : {"", ":443", "host:0", "host:65536", "host:x", "[::1", "host:"}) {
    CHECK(ward::testing::error_code_of([&] { (void)net::parse_endpoint(bad, 443); }) ==
          ward::ErrorCode::usage);
  }
}
