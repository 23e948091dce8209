#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// The SSH server's identification line and its KEXINIT (RFC 4253 §4.2, §7.1): what a server
// offers before any key exchange. libssh2 does not expose the server's lists, so ward reads them
// itself, as ssh-audit does. Pure functions over bytes: fuzzed, no I/O.
namespace ward::check::ssh_wire {

struct KexInit {
  std::vector<std::string> kex;
  std::vector<std::string> host_key;
  std::vector<std::string> ciphers_client_to_server;
  std::vector<std::string> ciphers_server_to_client;
  std::vector<std::string> macs_client_to_server;
  std::vector<std::string> macs_server_to_client;
  std::vector<std::string> compression_client_to_server;
  std::vector<std::string> compression_server_to_client;
  bool first_kex_packet_follows = false;
};

// Parses an unencrypted binary packet (uint32 length, padding length, payload, padding) at the
// start of `bytes`. Returns the payload and how many bytes the packet took; nullopt when more
// bytes are needed. Throws Error(usage) when the framing is impossible (not SSH).
struct Packet {
  std::vector<std::uint8_t> payload;
  std::size_t consumed = 0;
};
std::optional<Packet> parse_packet(std::span<const std::uint8_t> bytes);

// Parses a KEXINIT payload (message number 20 first). Throws Error(usage) when malformed.
KexInit parse_kexinit(std::span<const std::uint8_t> payload);

// The inverse, for stand-ins and tests: a payload with a zero cookie.
std::vector<std::uint8_t> encode_kexinit(const KexInit& kexinit);
// Wraps a payload in an unencrypted binary packet (block size 8, at least 4 bytes of padding).
std::vector<std::uint8_t> encode_packet(std::span<const std::uint8_t> payload);

// The identification line "SSH-protoversion-softwareversion [comments]" (RFC 4253 §4.2).
struct Identification {
  std::string line;
  std::string protocol;  // "2.0" (or "1.99")
  std::string software;  // "OpenSSH_9.2p1"
  std::string comments;  // "Debian-2+deb12u3"
};
// Parses one line without its CR LF; nullopt when the line is not an identification (servers
// may send other lines first).
std::optional<Identification> parse_identification(std::string_view line);

// The size in bits of an RSA public key's modulus, from its SSH wire blob (string "ssh-rsa",
// mpint e, mpint n; RFC 4253 §6.6); nullopt for another key type or a malformed blob.
std::optional<std::size_t> rsa_modulus_bits(std::span<const std::uint8_t> blob);

}  // namespace ward::check::ssh_wire
