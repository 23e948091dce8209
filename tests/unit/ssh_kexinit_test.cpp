#include "ward/check/ssh_kexinit.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

namespace ws = ward::check::ssh_wire;
using ward::ErrorCode;
using ward::testing::error_code_of;

namespace {

ws::KexInit openssh_like() {
  ws::KexInit k;
  k.kex = {"sntrup761x25519-sha512@openssh.com", "curve25519-sha256",
           "kex-strict-s-v00@openssh.com"};
  k.host_key = {"rsa-sha2-512", "ssh-ed25519"};
  k.ciphers_client_to_server = {"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com"};
  k.ciphers_server_to_client = k.ciphers_client_to_server;
  k.macs_client_to_server = {"hmac-sha2-256-etm@openssh.com", "hmac-sha1"};
  k.macs_server_to_client = k.macs_client_to_server;
  k.compression_client_to_server = {"none", "zlib@openssh.com"};
  k.compression_server_to_client = {"none"};
  return k;
}

}  // namespace

TEST_CASE("a KEXINIT survives encoding, packet framing and parsing") {
  const auto original = openssh_like();
  const auto packet = ws::encode_packet(ws::encode_kexinit(original));
  REQUIRE(packet.size() % 8 == 0);
  const auto parsed_packet = ws::parse_packet(packet);
  REQUIRE(parsed_packet);
  CHECK(parsed_packet->consumed == packet.size());
  const auto parsed = ws::parse_kexinit(parsed_packet->payload);
  CHECK(parsed.kex == original.kex);
  CHECK(parsed.host_key == original.host_key);
  CHECK(parsed.ciphers_server_to_client == original.ciphers_server_to_client);
  CHECK(parsed.macs_client_to_server == original.macs_client_to_server);
  CHECK(parsed.compression_client_to_server == original.compression_client_to_server);
  CHECK_FALSE(parsed.first_kex_packet_follows);
}

TEST_CASE("a partial packet asks for more bytes instead of failing") {
  const auto packet = ws::encode_packet(ws::encode_kexinit(openssh_like()));
  for (std::size_t cut : {std::size_t{0}, std::size_t{4}, std::size_t{5}, packet.size() - 1}) {
    CHECK_FALSE(ws::parse_packet(std::span(packet).first(cut)));
  }
}

TEST_CASE("bytes that are not SSH framing are refused") {
  const std::string http = "HTTP/1.1 400 Bad Request\r\n\r\n";
  const std::vector<std::uint8_t> bytes(http.begin(), http.end());
  CHECK(error_code_of([&] { (void)ws::parse_packet(bytes); }) == ErrorCode::usage);
  const std::vector<std::uint8_t> tiny_padding{0, 0, 0, 12, 1, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(error_code_of([&] { (void)ws::parse_packet(tiny_padding); }) == ErrorCode::usage);
}

TEST_CASE("truncated or malformed KEXINIT payloads are refused, never read past the end") {
  const auto payload = ws::encode_kexinit(openssh_like());
  for (std::size_t cut = 0; cut < payload.size(); ++cut) {
    CHECK(error_code_of([&] { (void)ws::parse_kexinit(std::span(payload).first(cut)); }) ==
          ErrorCode::usage);
  }
  auto wrong_type = payload;
  wrong_type[0] = 21;
  CHECK(error_code_of([&] { (void)ws::parse_kexinit(wrong_type); }) == ErrorCode::usage);
  auto empty_name = openssh_like();
  empty_name.kex = {"curve25519-sha256", ""};
  CHECK(error_code_of([&] { (void)ws::parse_kexinit(ws::encode_kexinit(empty_name)); }) ==
        ErrorCode::usage);
}

TEST_CASE("identification lines are split into protocol, software and comments") {
  const auto id = ws::parse_identification("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
  REQUIRE(id);
  CHECK(id->protocol == "2.0");
  CHECK(id->software == "OpenSSH_9.2p1");
  CHECK(id->comments == "Debian-2+deb12u3");
  CHECK_FALSE(ws::parse_identification("Welcome to the bastion"));
  CHECK_FALSE(ws::parse_identification("SSH-2.0"));
  CHECK_FALSE(ws::parse_identification("SSH--x"));
}
