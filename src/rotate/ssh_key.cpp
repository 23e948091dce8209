#include "ward/rotate/ssh_key.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cstdint>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/crypto/signing.hpp"

namespace ward::rotate {
namespace {

// SSH wire encoding (RFC 4251): uint32 big-endian, and strings as length + bytes.
void put_u32(crypto::SecretBytes& out, std::uint32_t value) {
  const std::array<std::uint8_t, 4> bytes{
      static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
      static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
  out.append(bytes);
}
void put_string(crypto::SecretBytes& out, std::span<const std::uint8_t> data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  out.append(data);
}
void put_string(crypto::SecretBytes& out, std::string_view text) {
  put_u32(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

}  // namespace

SshKeyPair generate_ed25519(const std::string& comment) {
  const auto pair = crypto::ed25519_generate();
  constexpr std::string_view type = "ssh-ed25519";

  crypto::SecretBytes public_blob;
  put_string(public_blob, type);
  put_string(public_blob, pair.public_key);

  // The private section: two equal check integers, the key (seed || public, as OpenSSH keeps
  // it), the comment, then padding 1, 2, 3… to the cipher block size (8 for "none").
  crypto::SecretBytes private_section;
  const auto check = crypto::random_bytes(4);
  private_section.append(check);
  private_section.append(check);
  put_string(private_section, type);
  put_string(private_section, pair.public_key);
  crypto::SecretBytes full = pair.seed.clone();
  full.append(pair.public_key);
  put_string(private_section, full.bytes());
  put_string(private_section, comment);
  for (std::uint8_t pad = 1; private_section.size() % 8 != 0; ++pad) {
    private_section.append(std::span<const std::uint8_t>(&pad, 1));
  }

  crypto::SecretBytes body = crypto::SecretBytes::from(std::string_view("openssh-key-v1\0", 15));
  put_string(body, std::string_view("none"));  // cipher
  put_string(body, std::string_view("none"));  // kdf
  put_string(body, std::string_view(""));      // kdf options
  put_u32(body, 1);
  put_string(body, public_blob.bytes());
  put_string(body, private_section.bytes());

  std::string base64 = crypto::base64_encode(body.bytes());
  const auto encoded = crypto::SecretBytes::from(base64);
  OPENSSL_cleanse(base64.data(), base64.size());
  SshKeyPair out;
  out.private_key = crypto::SecretBytes::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
  const auto text = encoded.reveal();
  for (std::size_t i = 0; i < text.size(); i += 70) {
    out.private_key.append(text.substr(i, 70));
    out.private_key.append(std::string_view("\n"));
  }
  out.private_key.append(std::string_view("-----END OPENSSH PRIVATE KEY-----\n"));
  out.public_key =
      std::string(type) + " " + crypto::base64_encode(public_blob.bytes()) + " " + comment;
  return out;
}

}  // namespace ward::rotate
