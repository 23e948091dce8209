#pragma once

#include <string>

#include "ward/crypto/secret.hpp"

namespace ward::rotate {

// A new SSH key pair for a rotation.
struct SshKeyPair {
  crypto::SecretBytes private_key;  // OpenSSH private key file content, unencrypted
  std::string public_key;           // authorized_keys line: "ssh-ed25519 AAAA… comment"
};

// A fresh Ed25519 key pair (OpenSSL's CSPRNG) written in the openssh-key-v1 format that
// OpenSSH and libssh2 read.
SshKeyPair generate_ed25519(const std::string& comment);

}  // namespace ward::rotate
