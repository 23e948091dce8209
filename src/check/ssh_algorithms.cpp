#include "ward/check/ssh_algorithms.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace ward::check::ssh_wire {
namespace {

struct Entry {
  AlgorithmKind kind;
  std::string_view name;
  std::string_view finding_id;
  Severity severity;
  std::string_view reason;
  bool post_quantum = false;
};

using K = AlgorithmKind;
using S = Severity;

// Judgements follow RFC 9142 (kex), RFC 8332/8709 (host keys), RFC 4253/4344 and NIST SP
// 800-131A (ciphers, MACs), and OpenSSH's own deprecations. An empty finding id means "fine".
constexpr std::array k_table{
    // Key exchange.
    Entry{K::kex, "diffie-hellman-group1-sha1", "ssh.kex.weak", S::high,
          "1024-bit group and SHA-1 (RFC 9142: MUST NOT)"},
    Entry{K::kex, "diffie-hellman-group14-sha1", "ssh.kex.weak", S::medium,
          "SHA-1 hash (RFC 9142: SHOULD NOT)"},
    Entry{K::kex, "diffie-hellman-group-exchange-sha1", "ssh.kex.weak", S::medium,
          "SHA-1 hash and server-chosen group (RFC 9142: MUST NOT)"},
    Entry{K::kex, "rsa1024-sha1", "ssh.kex.weak", S::high, "1024-bit RSA and SHA-1"},
    Entry{K::kex, "gss-group1-sha1-", "ssh.kex.weak", S::high, "1024-bit group and SHA-1"},
    Entry{K::kex, "gss-group14-sha1-", "ssh.kex.weak", S::medium, "SHA-1 hash"},
    Entry{K::kex, "gss-gex-sha1-", "ssh.kex.weak", S::medium, "SHA-1 hash"},
    Entry{K::kex, "ecdh-sha2-nistp256", "ssh.kex.nist_curve", S::low,
          "NIST P-curve whose constants cannot be explained; prefer curve25519"},
    Entry{K::kex, "ecdh-sha2-nistp384", "ssh.kex.nist_curve", S::low,
          "NIST P-curve whose constants cannot be explained; prefer curve25519"},
    Entry{K::kex, "ecdh-sha2-nistp521", "ssh.kex.nist_curve", S::low,
          "NIST P-curve whose constants cannot be explained; prefer curve25519"},
    Entry{K::kex, "diffie-hellman-group14-sha256", "", S::info, ""},
    Entry{K::kex, "diffie-hellman-group15-sha512", "", S::info, ""},
    Entry{K::kex, "diffie-hellman-group16-sha512", "", S::info, ""},
    Entry{K::kex, "diffie-hellman-group17-sha512", "", S::info, ""},
    Entry{K::kex, "diffie-hellman-group18-sha512", "", S::info, ""},
    Entry{K::kex, "diffie-hellman-group-exchange-sha256", "", S::info, ""},
    Entry{K::kex, "curve25519-sha256", "", S::info, ""},
    Entry{K::kex, "curve25519-sha256@libssh.org", "", S::info, ""},
    Entry{K::kex, "curve448-sha512", "", S::info, ""},
    Entry{K::kex, "sntrup761x25519-sha512@openssh.com", "", S::info, "", true},
    Entry{K::kex, "sntrup761x25519-sha512", "", S::info, "", true},
    Entry{K::kex, "mlkem768x25519-sha256", "", S::info, "", true},
    Entry{K::kex, "mlkem768nistp256-sha256", "", S::info, "", true},
    Entry{K::kex, "mlkem1024nistp384-sha384", "", S::info, "", true},
    Entry{K::kex, "kex-strict-s-v00@openssh.com", "", S::info, ""},
    Entry{K::kex, "kex-strict-s", "", S::info, ""},
    Entry{K::kex, "ext-info-s", "", S::info, ""},
    // Host key types.
    Entry{K::host_key, "ssh-dss", "ssh.hostkey.weak", S::high,
          "DSA: 1024-bit keys and SHA-1 signatures (removed from OpenSSH)"},
    Entry{K::host_key, "ssh-dss-cert-v01@openssh.com", "ssh.hostkey.weak", S::high,
          "DSA: 1024-bit keys and SHA-1 signatures"},
    Entry{K::host_key, "ssh-rsa", "ssh.hostkey.weak", S::medium,
          "RSA with SHA-1 signatures (RFC 8332: use rsa-sha2-256/512)"},
    Entry{K::host_key, "ssh-rsa-cert-v01@openssh.com", "ssh.hostkey.weak", S::medium,
          "RSA with SHA-1 signatures"},
    Entry{K::host_key, "ecdsa-sha2-nistp256", "ssh.hostkey.nist_curve", S::low,
          "NIST P-curve; prefer ssh-ed25519"},
    Entry{K::host_key, "ecdsa-sha2-nistp384", "ssh.hostkey.nist_curve", S::low,
          "NIST P-curve; prefer ssh-ed25519"},
    Entry{K::host_key, "ecdsa-sha2-nistp521", "ssh.hostkey.nist_curve", S::low,
          "NIST P-curve; prefer ssh-ed25519"},
    Entry{K::host_key, "rsa-sha2-256", "", S::info, ""},
    Entry{K::host_key, "rsa-sha2-512", "", S::info, ""},
    Entry{K::host_key, "rsa-sha2-256-cert-v01@openssh.com", "", S::info, ""},
    Entry{K::host_key, "rsa-sha2-512-cert-v01@openssh.com", "", S::info, ""},
    Entry{K::host_key, "ssh-ed25519", "", S::info, ""},
    Entry{K::host_key, "ssh-ed25519-cert-v01@openssh.com", "", S::info, ""},
    Entry{K::host_key, "ssh-ed448", "", S::info, ""},
    Entry{K::host_key, "sk-ssh-ed25519@openssh.com", "", S::info, ""},
    Entry{K::host_key, "sk-ecdsa-sha2-nistp256@openssh.com", "", S::info, ""},
    // Ciphers.
    Entry{K::cipher, "none", "ssh.cipher.none", S::critical, "no encryption"},
    Entry{K::cipher, "des-cbc", "ssh.cipher.weak", S::critical, "DES: 56-bit key"},
    Entry{K::cipher, "3des-cbc", "ssh.cipher.weak", S::high,
          "3DES: 64-bit block (Sweet32) and CBC"},
    Entry{K::cipher, "arcfour", "ssh.cipher.weak", S::high, "RC4: biased keystream (RFC 8758)"},
    Entry{K::cipher, "arcfour128", "ssh.cipher.weak", S::high, "RC4: biased keystream (RFC 8758)"},
    Entry{K::cipher, "arcfour256", "ssh.cipher.weak", S::high, "RC4: biased keystream (RFC 8758)"},
    Entry{K::cipher, "blowfish-cbc", "ssh.cipher.weak", S::high, "Blowfish: 64-bit block"},
    Entry{K::cipher, "cast128-cbc", "ssh.cipher.weak", S::high, "CAST-128: 64-bit block"},
    Entry{K::cipher, "idea-cbc", "ssh.cipher.weak", S::high, "IDEA: 64-bit block"},
    Entry{K::cipher, "aes128-cbc", "ssh.cipher.cbc", S::medium,
          "CBC mode: padding-oracle and plaintext-recovery attacks on SSH"},
    Entry{K::cipher, "aes192-cbc", "ssh.cipher.cbc", S::medium,
          "CBC mode: padding-oracle and plaintext-recovery attacks on SSH"},
    Entry{K::cipher, "aes256-cbc", "ssh.cipher.cbc", S::medium,
          "CBC mode: padding-oracle and plaintext-recovery attacks on SSH"},
    Entry{K::cipher, "rijndael-cbc@lysator.liu.se", "ssh.cipher.cbc", S::medium,
          "CBC mode: padding-oracle and plaintext-recovery attacks on SSH"},
    Entry{K::cipher, "aes128-ctr", "", S::info, ""},
    Entry{K::cipher, "aes192-ctr", "", S::info, ""},
    Entry{K::cipher, "aes256-ctr", "", S::info, ""},
    Entry{K::cipher, "aes128-gcm@openssh.com", "", S::info, ""},
    Entry{K::cipher, "aes256-gcm@openssh.com", "", S::info, ""},
    Entry{K::cipher, "chacha20-poly1305@openssh.com", "", S::info, ""},
    // MACs.
    Entry{K::mac, "none", "ssh.mac.none", S::critical, "no integrity protection"},
    Entry{K::mac, "hmac-md5", "ssh.mac.weak", S::high, "MD5"},
    Entry{K::mac, "hmac-md5-96", "ssh.mac.weak", S::high, "MD5, truncated to 96 bits"},
    Entry{K::mac, "hmac-md5-etm@openssh.com", "ssh.mac.weak", S::high, "MD5"},
    Entry{K::mac, "hmac-md5-96-etm@openssh.com", "ssh.mac.weak", S::high,
          "MD5, truncated to 96 bits"},
    Entry{K::mac, "hmac-sha1-96", "ssh.mac.weak", S::medium, "SHA-1, truncated to 96 bits"},
    Entry{K::mac, "hmac-sha1-96-etm@openssh.com", "ssh.mac.weak", S::medium,
          "SHA-1, truncated to 96 bits"},
    Entry{K::mac, "hmac-sha1", "ssh.mac.weak", S::low, "SHA-1"},
    Entry{K::mac, "hmac-sha1-etm@openssh.com", "ssh.mac.weak", S::low, "SHA-1"},
    Entry{K::mac, "hmac-ripemd160", "ssh.mac.weak", S::low, "RIPEMD-160, encrypt-and-MAC"},
    Entry{K::mac, "hmac-ripemd160@openssh.com", "ssh.mac.weak", S::low,
          "RIPEMD-160, encrypt-and-MAC"},
    Entry{K::mac, "umac-64@openssh.com", "ssh.mac.weak", S::low, "64-bit tag"},
    Entry{K::mac, "umac-64-etm@openssh.com", "ssh.mac.weak", S::low, "64-bit tag"},
    Entry{K::mac, "hmac-sha2-256", "", S::info, ""},
    Entry{K::mac, "hmac-sha2-512", "", S::info, ""},
    Entry{K::mac, "hmac-sha2-256-etm@openssh.com", "", S::info, ""},
    Entry{K::mac, "hmac-sha2-512-etm@openssh.com", "", S::info, ""},
    Entry{K::mac, "umac-128@openssh.com", "", S::info, ""},
    Entry{K::mac, "umac-128-etm@openssh.com", "", S::info, ""},
    // Compression.
    Entry{K::compression, "none", "", S::info, ""},
    Entry{K::compression, "zlib@openssh.com", "", S::info, ""},
    Entry{K::compression, "zlib", "ssh.compression.preauth", S::low,
          "compression before authentication exposes the decompressor to anyone"},
};

bool matches(const Entry& entry, std::string_view name) {
  // GSS-API kex names carry a mechanism suffix ("gss-group14-sha1-toWM5Slw5Ew8Mqkay+al2g==").
  if (entry.name.ends_with('-')) return name.starts_with(entry.name);
  return entry.name == name;
}

std::string_view kind_name(AlgorithmKind kind) {
  switch (kind) {
    case K::kex:
      return "key exchange";
    case K::host_key:
      return "host key type";
    case K::cipher:
      return "cipher";
    case K::mac:
      return "MAC";
    case K::compression:
      return "compression";
  }
  return "algorithm";
}

bool offers(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// Union of both directions, in the server's order, without repeats.
std::vector<std::string> both_ways(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b) {
  std::vector<std::string> out = a;
  for (const auto& name : b) {
    if (!offers(out, name)) out.push_back(name);
  }
  return out;
}

}  // namespace

AlgorithmVerdict judge(AlgorithmKind kind, std::string_view name) {
  for (const auto& entry : k_table) {
    if (entry.kind == kind && matches(entry, name)) {
      return {entry.finding_id, entry.severity, entry.reason, true, entry.post_quantum};
    }
  }
  return {};
}

void judge_kexinit(const KexInit& kexinit, Probe& probe) {
  const auto ciphers =
      both_ways(kexinit.ciphers_client_to_server, kexinit.ciphers_server_to_client);
  const auto macs = both_ways(kexinit.macs_client_to_server, kexinit.macs_server_to_client);
  const auto compression =
      both_ways(kexinit.compression_client_to_server, kexinit.compression_server_to_client);
  probe.facts["kex"] = kexinit.kex;
  probe.facts["host_key_types"] = kexinit.host_key;
  probe.facts["ciphers"] = ciphers;
  probe.facts["macs"] = macs;
  probe.facts["compression"] = compression;

  std::vector<std::string> unknown;
  bool post_quantum = false;
  const auto judge_list = [&](AlgorithmKind kind, const std::vector<std::string>& names) {
    for (const auto& name : names) {
      const auto verdict = judge(kind, name);
      if (!verdict.known) {
        unknown.push_back(std::string(kind_name(kind)) + " " + name);
        continue;
      }
      post_quantum = post_quantum || verdict.post_quantum;
      if (verdict.finding_id.empty()) continue;
      probe.add(std::string(verdict.finding_id), verdict.severity,
                "server offers " + std::string(kind_name(kind)) + " " + name + ": " +
                    std::string(verdict.reason),
                {{"algorithm", name}, {"kind", kind_name(kind)}});
    }
  };
  judge_list(K::kex, kexinit.kex);
  judge_list(K::host_key, kexinit.host_key);
  judge_list(K::cipher, ciphers);
  judge_list(K::mac, macs);
  judge_list(K::compression, compression);

  // Terrapin (CVE-2023-48795): a prefix truncation of the handshake works against
  // chacha20-poly1305 and encrypt-then-MAC modes unless both sides use strict key exchange.
  const bool strict_kex =
      offers(kexinit.kex, "kex-strict-s-v00@openssh.com") || offers(kexinit.kex, "kex-strict-s");
  std::vector<std::string> exposed;
  if (offers(ciphers, "chacha20-poly1305@openssh.com"))
    exposed.emplace_back("chacha20-poly1305@openssh.com");
  for (const auto& mac : macs) {
    if (mac.find("-etm@") != std::string::npos) exposed.push_back(mac);
  }
  probe.facts["strict_kex"] = strict_kex;
  if (!strict_kex && !exposed.empty()) {
    probe.add("ssh.terrapin", Severity::medium,
              "vulnerable to Terrapin (CVE-2023-48795): " + exposed.front() +
                  " offered without strict key exchange (kex-strict-s-v00@openssh.com); upgrade "
                  "the server (OpenSSH 9.6 or a patched build)",
              {{"algorithms", exposed}, {"strict_kex", false}});
  }
  probe.facts["post_quantum_kex"] = post_quantum;
  if (!post_quantum) {
    probe.add("ssh.kex.no_post_quantum", Severity::info,
              "no post-quantum hybrid key exchange offered (sntrup761x25519-sha512, "
              "mlkem768x25519-sha256): recorded traffic could be decrypted by a future quantum "
              "computer");
  }
  if (!unknown.empty()) {
    probe.add(
        "ssh.algorithm.unknown", Severity::info,
        "server offers algorithms ward does not know: " + unknown.front() +
            (unknown.size() > 1 ? " and " + std::to_string(unknown.size() - 1) + " more" : ""),
        {{"algorithms", unknown}});
  }
}

}  // namespace ward::check::ssh_wire
