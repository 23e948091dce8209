#include "ward/check/ssh_kexinit.hpp"

#include <catch2/catch.hpp>
#include <span>
#include <string_view>
#include <vector>

#include "test_support.hpp"
#include "ward/crypto/encoding.hpp"

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

namespace {

std::vector<std::uint8_t> ssh_string(std::string_view type, std::vector<std::uint8_t> bytes = {}) {
  if (!type.empty()) bytes.assign(type.begin(), type.end());
  std::vector<std::uint8_t> out{
      static_cast<std::uint8_t>(bytes.size() >> 24), static_cast<std::uint8_t>(bytes.size() >> 16),
      static_cast<std::uint8_t>(bytes.size() >> 8), static_cast<std::uint8_t>(bytes.size())};
  out.insert(out.end(), bytes.begin(), bytes.end());
  return out;
}

std::vector<std::uint8_t> rsa_blob(std::vector<std::uint8_t> modulus) {
  auto blob = ssh_string("ssh-rsa");
  const auto e = ssh_string("", {0x01, 0x00, 0x01});
  const auto n = ssh_string("", std::move(modulus));
  blob.insert(blob.end(), e.begin(), e.end());
  blob.insert(blob.end(), n.begin(), n.end());
  return blob;
}

}  // namespace

TEST_CASE("the RSA modulus size is read from a host key blob") {
  // mpints carry a zero byte before a set top bit: 0x00 0x80… is 2048 bits, 0x01… 2041.
  std::vector<std::uint8_t> n2048(257, 0xff);
  n2048[0] = 0x00;
  n2048[1] = 0x80;
  CHECK(ws::rsa_modulus_bits(rsa_blob(n2048)) == 2048);
  std::vector<std::uint8_t> n2041(256, 0xff);
  n2041[0] = 0x01;
  CHECK(ws::rsa_modulus_bits(rsa_blob(n2041)) == 2041);
  // A real 1024-bit key, as ssh-keygen -t rsa -b 1024 wrote it.
  const auto real = ward::crypto::base64_decode(
      "AAAAB3NzaC1yc2EAAAADAQABAAAAgQChD1MDa01nvzcv5QYSRJAczk4SvN1UkEHijoWciiefHyA8sg3Yr3wAV4Uo9o+y"
      "FFCobb3tICNMFsQfnq7U8Vc1xPvCDzLgDql5atH9ZVwa2jbUoT/0lzndb0MWYysoXtxsjbOIMxMqzz9I2itbAWiAM7Gl"
      "uIQQUZoSOChOOJaZQw==");
  REQUIRE(real.has_value());
  CHECK(ws::rsa_modulus_bits(*real) == 1024);
}

TEST_CASE("blobs of other key types or cut short have no RSA size") {
  CHECK_FALSE(ws::rsa_modulus_bits(ssh_string("ssh-ed25519", {})).has_value());
  auto ed = ssh_string("ssh-ed25519");
  const auto key = ssh_string("", std::vector<std::uint8_t>(32, 7));
  ed.insert(ed.end(), key.begin(), key.end());
  CHECK_FALSE(ws::rsa_modulus_bits(ed).has_value());
  std::vector<std::uint8_t> n(129, 0xff);
  n[0] = 0;
  auto blob = rsa_blob(n);
  for (std::size_t cut = 0; cut < blob.size(); cut += 7) {
    CHECK_FALSE(ws::rsa_modulus_bits(std::span(blob).first(cut)).has_value());
  }
  CHECK_FALSE(ws::rsa_modulus_bits(rsa_blob({0, 0})).has_value());
}
