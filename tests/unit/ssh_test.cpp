// The SSH layer's parts that need no server: fingerprints, known_hosts lookups, host key
// policy, private key types. Against a real sshd: ssh_integration_test.cpp ([.sshd]).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/ssh/host_key.hpp"
#include "ward/ssh/session.hpp"

namespace {

using ward::ErrorCode;
using ward::ssh::HostKey;
using ward::ssh::HostKeyMatch;
using ward::testing::error_code_of;
using ward::testing::TempDir;

// Throwaway public keys and the fingerprints `ssh-keygen -lf` printed for them.
constexpr const char* k_ed25519_a =
    "AAAAC3NzaC1lZDI1NTE5AAAAIGUOtdMGnC53xMUtIpYdWuSbHRCO8oR3VFUkKhAnP4MV";
constexpr const char* k_ed25519_a_fp = "SHA256:qqUA/f0wZBgWBbUuf8ct7auJCq2r8s9/dem5h/Rg59k";
constexpr const char* k_ed25519_b =
    "AAAAC3NzaC1lZDI1NTE5AAAAIAas93m45xMLene5EEc6aLnLT+ktvp4b9D/r+v5pdwgF";
constexpr const char* k_ed25519_b_fp = "SHA256:dSN6kHIETdff1G3msd/xYKDFK6oxH/mpKEOW1NSNLUE";
constexpr const char* k_ecdsa =
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDHprWNXTMI9KeTlb7EPvn64kMrlP96b2QCCvWd"
    "t2HnQy9Hgc2+YhTNYvWUeYg2vnZtLkmCx4n5Bqe0uzucXwKk=";
constexpr const char* k_ecdsa_fp = "SHA256:TOaMXf2nsR9D99yR7SKzJ/eqo6AI2e4va4vCN84Fokg";

HostKey key_from(const char* base64) {
  HostKey key;
  key.blob = *ward::crypto::base64_decode(base64);
  key.type = ward::ssh::key_type_of_blob(key.blob);
  key.algorithm = key.type;
  key.fingerprint = ward::ssh::sha256_fingerprint(key.blob);
  return key;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ward::Error& e) {
    return std::string(e.what()) + "\n" + e.hint();
  }
  return {};
}

}  // namespace

TEST_CASE("host key fingerprints are OpenSSH's SHA256 form") {
  REQUIRE(key_from(k_ed25519_a).fingerprint == k_ed25519_a_fp);
  REQUIRE(key_from(k_ed25519_b).fingerprint == k_ed25519_b_fp);
  REQUIRE(key_from(k_ecdsa).fingerprint == k_ecdsa_fp);
  REQUIRE(key_from(k_ed25519_a).type == "ssh-ed25519");
  REQUIRE(key_from(k_ecdsa).type == "ecdsa-sha2-nistp256");
  REQUIRE(ward::ssh::key_type_of_blob({}).empty());
}

TEST_CASE("expected fingerprints are parsed strictly") {
  using ward::ssh::parse_fingerprint;
  REQUIRE(parse_fingerprint(k_ed25519_a_fp) == std::string(k_ed25519_a_fp));
  REQUIRE(parse_fingerprint(std::string(k_ed25519_a_fp) + "=") == std::string(k_ed25519_a_fp));
  REQUIRE_FALSE(parse_fingerprint("qqUA/f0wZBgWBbUuf8ct7auJCq2r8s9/dem5h/Rg59k"));
  REQUIRE_FALSE(parse_fingerprint("MD5:aa:bb"));
  REQUIRE_FALSE(parse_fingerprint("SHA256:tooshort"));
  REQUIRE_FALSE(parse_fingerprint("SHA256:qqUA/f0wZBgWBbUuf8ct7auJCq2r8s9/dem5h/Rg5!k"));
}

TEST_CASE("known_hosts names carry the port unless it is 22") {
  REQUIRE(ward::ssh::known_hosts_name("example.org", 22) == "example.org");
  REQUIRE(ward::ssh::known_hosts_name("127.0.0.1", 2222) == "[127.0.0.1]:2222");
  REQUIRE(ward::ssh::known_hosts_name("::1", 2222) == "[::1]:2222");
  REQUIRE(ward::ssh::Endpoint{"::1", 22}.display() == "[::1]:22");
  REQUIRE(ward::ssh::Endpoint{"host", 2200}.display() == "host:2200");
}

TEST_CASE(
    "known_hosts files match plain, port and hashed entries and skip what libssh2 cannot read") {
  TempDir dir;
  const auto file = dir.path() / "known_hosts";
  write_file(
      file,
      "# a comment\n"
      "\n"
      "[127.0.0.1]:2222 ssh-ed25519 " +
          std::string(k_ed25519_a) + " test\n" + "alias,plain.example.org ssh-ed25519 " +
          k_ed25519_b + "\n" +
          // hashed (ssh-keygen -H) entries: db.example.org, and [10.0.0.5]:2200
          "|1|6Lh+gC1Ivoh0fevhmB8lBvXIxzo=|ZEwdrIFq1GqvhAQlkCeQ4aiGrEQ= ecdsa-sha2-nistp256 " +
          k_ecdsa + "\n" +
          "|1|dv5gKMff81nYYPoeRdZCbvTb6xk=|WscbzZg/TKiofg4EyD7FITYZtvg= ssh-ed25519 " +
          k_ed25519_a + "\n" + "@cert-authority *.example.org ssh-ed25519 " + k_ed25519_b + "\n" +
          "garbage-without-a-key\n");
  const auto known = ward::ssh::KnownHosts::load(file);
  REQUIRE(known.entries() == 4);
  REQUIRE(known.skipped_lines() == 2);

  const auto a = key_from(k_ed25519_a);
  const auto b = key_from(k_ed25519_b);
  const auto ecdsa = key_from(k_ecdsa);
  REQUIRE(known.check("127.0.0.1", 2222, a) == HostKeyMatch::match);
  REQUIRE(known.check("127.0.0.1", 22, a) == HostKeyMatch::unknown);  // port 22 is "127.0.0.1"
  REQUIRE(known.check("127.0.0.1", 2223, a) == HostKeyMatch::unknown);
  std::string listed;
  REQUIRE(known.check("127.0.0.1", 2222, b, &listed) == HostKeyMatch::mismatch);
  REQUIRE(listed == k_ed25519_a_fp);
  REQUIRE(known.check("plain.example.org", 22, b) == HostKeyMatch::match);
  REQUIRE(known.check("alias", 22, b) == HostKeyMatch::match);
  REQUIRE(known.check("db.example.org", 22, ecdsa) == HostKeyMatch::match);
  REQUIRE(known.check("10.0.0.5", 2200, a) == HostKeyMatch::match);
  REQUIRE(known.check("10.0.0.5", 2200, b) == HostKeyMatch::mismatch);
  // Another key type than the one listed: unknown (the handshake prefers the listed type).
  REQUIRE(known.check("db.example.org", 22, a) == HostKeyMatch::unknown);
  REQUIRE(known.known_types("db.example.org", 22) ==
          std::vector<std::string>{"ecdsa-sha2-nistp256"});
  REQUIRE(known.known_types("127.0.0.1", 2222) == std::vector<std::string>{"ssh-ed25519"});
  REQUIRE(known.known_types("nowhere.example.org", 22).empty());
  // The @cert-authority line was not taken as a host key for *.example.org.
  REQUIRE(known.check("x.example.org", 22, b) == HostKeyMatch::unknown);

  // A missing file is empty.
  REQUIRE(ward::ssh::KnownHosts::load(dir.path() / "absent").entries() == 0);
}

TEST_CASE("host key policy: match, mismatch, unknown, accept and record, expected fingerprint") {
  TempDir dir;
  const auto file = dir.path() / "ssh" / "known_hosts";
  const auto a = key_from(k_ed25519_a);
  const auto b = key_from(k_ed25519_b);
  ward::ssh::HostKeyPolicy policy;
  policy.known_hosts = file;

  // Unknown host, not accepted: refused with the offered fingerprint in the message.
  auto message = message_of([&] { ward::ssh::verify_host_key("127.0.0.1", 2222, a, policy); });
  REQUIRE(message.find("not known") != std::string::npos);
  REQUIRE(message.find(k_ed25519_a_fp) != std::string::npos);
  REQUIRE(error_code_of([&] { ward::ssh::verify_host_key("127.0.0.1", 2222, a, policy); }) ==
          ErrorCode::auth);
  REQUIRE_FALSE(std::filesystem::exists(file));

  // Accepted: recorded in a new file (and its directory), then known.
  policy.accept_unknown = true;
  REQUIRE(ward::ssh::verify_host_key("127.0.0.1", 2222, a, policy) ==
          ward::ssh::HostKeyVerdict::accepted_new);
  REQUIRE(std::filesystem::exists(file));
  REQUIRE((std::filesystem::status(file).permissions() & std::filesystem::perms::others_read) ==
          std::filesystem::perms::none);
  policy.accept_unknown = false;
  REQUIRE(ward::ssh::verify_host_key("127.0.0.1", 2222, a, policy) ==
          ward::ssh::HostKeyVerdict::known);
  {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    REQUIRE(line.rfind("[127.0.0.1]:2222 ssh-ed25519 " + std::string(k_ed25519_a), 0) == 0);
  }

  // A different key for the same host: refused even with accept_unknown, both fingerprints shown.
  policy.accept_unknown = true;
  message = message_of([&] { ward::ssh::verify_host_key("127.0.0.1", 2222, b, policy); });
  REQUIRE(message.find("does not match") != std::string::npos);
  REQUIRE(message.find(k_ed25519_b_fp) != std::string::npos);
  REQUIRE(message.find(k_ed25519_a_fp) != std::string::npos);
  REQUIRE(error_code_of([&] { ward::ssh::verify_host_key("127.0.0.1", 2222, b, policy); }) ==
          ErrorCode::auth);

  // Appending keeps the lines already there, also when the last one lacks its newline.
  { std::ofstream(file, std::ios::app) << "other.example.org ssh-ed25519 " << k_ed25519_b; }
  ward::ssh::KnownHosts::append(file, "::1", 2200, b);
  const auto reloaded = ward::ssh::KnownHosts::load(file);
  REQUIRE(reloaded.entries() == 3);
  REQUIRE(reloaded.check("other.example.org", 22, b) == HostKeyMatch::match);
  REQUIRE(reloaded.check("::1", 2200, b) == HostKeyMatch::match);

  // An expected fingerprint decides alone.
  ward::ssh::HostKeyPolicy pinned;
  pinned.expected_fingerprint = k_ed25519_b_fp;
  REQUIRE(ward::ssh::verify_host_key("127.0.0.1", 2222, b, pinned) ==
          ward::ssh::HostKeyVerdict::fingerprint);
  message = message_of([&] { ward::ssh::verify_host_key("127.0.0.1", 2222, a, pinned); });
  REQUIRE(message.find(k_ed25519_a_fp) != std::string::npos);
  REQUIRE(message.find(k_ed25519_b_fp) != std::string::npos);
  REQUIRE(error_code_of([&] { ward::ssh::verify_host_key("h", 22, a, pinned); }) ==
          ErrorCode::auth);
  pinned.expected_fingerprint = "SHA256:nope";
  REQUIRE(error_code_of([&] { ward::ssh::verify_host_key("h", 22, a, pinned); }) ==
          ErrorCode::usage);
}

namespace {

// An OpenSSH private key file's text whose public part is `public_blob`; the private part is
// a placeholder (private_key_type never reads it).
std::string openssh_key_text(const std::vector<std::uint8_t>& public_blob) {
  std::vector<std::uint8_t> data;
  const auto put_string = [&](std::span<const std::uint8_t> s) {
    const auto n = static_cast<std::uint32_t>(s.size());
    data.insert(data.end(), {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                             static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
    data.insert(data.end(), s.begin(), s.end());
  };
  const auto text = [](std::string_view s) {
    return std::vector<std::uint8_t>(s.begin(), s.end());
  };
  const std::string magic("openssh-key-v1\0", 15);
  data.insert(data.end(), magic.begin(), magic.end());
  put_string(text("none"));
  put_string(text("none"));
  put_string({});
  data.insert(data.end(), {0, 0, 0, 1});
  put_string(public_blob);
  put_string(text("placeholder"));
  auto body = ward::crypto::base64_encode(data);
  std::string wrapped;
  for (std::size_t i = 0; i < body.size(); i += 70) wrapped += body.substr(i, 70) + "\n";
  return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + wrapped + "-----END OPENSSH PRIVATE KEY-----\n";
}

}  // namespace

TEST_CASE("private key types are read from the key file's public part") {
  using ward::ssh::private_key_type;
  REQUIRE(private_key_type(openssh_key_text(key_from(k_ed25519_a).blob)) == "ssh-ed25519");
  REQUIRE(private_key_type(openssh_key_text(key_from(k_ecdsa).blob)) == "ecdsa-sha2-nistp256");
  REQUIRE(
      private_key_type("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n") ==
      "ssh-rsa");
  REQUIRE(private_key_type("-----BEGIN OPENSSH PRIVATE KEY-----\nbm9wZQ==\n-----END OPENSSH "
                           "PRIVATE KEY-----\n")
              .empty());
  REQUIRE(private_key_type("not a key").empty());
}
