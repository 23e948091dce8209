#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ward::ssh {

// A server's public host key as offered in the handshake.
struct HostKey {
  std::string type;                // key type named in the blob: ssh-ed25519, ssh-rsa, …
  std::string algorithm;           // negotiated algorithm (rsa-sha2-512 for an ssh-rsa key)
  std::vector<std::uint8_t> blob;  // the key's SSH wire encoding
  std::string fingerprint;         // OpenSSH's form: "SHA256:" + unpadded base64
};

// OpenSSH's SHA256 fingerprint of a key blob, as `ssh-keygen -l` prints it.
std::string sha256_fingerprint(std::span<const std::uint8_t> blob);
// The key type a wire blob names (its first string); empty when the blob is malformed.
std::string key_type_of_blob(std::span<const std::uint8_t> blob);
// Accepts "SHA256:<base64>" with or without padding; returns the canonical unpadded form, or
// nullopt when the text is not a SHA256 fingerprint.
std::optional<std::string> parse_fingerprint(std::string_view text);
// The name a known_hosts file uses for a host: "host" on port 22, "[host]:port" elsewhere.
std::string known_hosts_name(const std::string& host, std::uint16_t port);

enum class HostKeyMatch { match, mismatch, unknown };

// A known_hosts file, read through libssh2_knownhost: plain names, hashed names (|1|salt|hash),
// [host]:port entries and comma-separated name lists. Lines libssh2 cannot parse (markers such
// as @cert-authority, key types it does not know) are skipped, not fatal, as OpenSSH does.
class KnownHosts {
 public:
  // A missing file reads as empty; an unreadable one throws Error(usage).
  static KnownHosts load(const std::filesystem::path& file);
  KnownHosts(KnownHosts&&) noexcept;
  KnownHosts& operator=(KnownHosts&&) noexcept;
  ~KnownHosts();

  // Whether the file knows this key for the host. Only entries of the key's type count, so a
  // host listed with another key type is unknown, not a mismatch (OpenSSH then prefers the
  // known type in the handshake: see known_types).
  // On a mismatch, `listed_fingerprint` (when given) receives the fingerprint the file lists.
  [[nodiscard]] HostKeyMatch check(const std::string& host, std::uint16_t port, const HostKey& key,
                                   std::string* listed_fingerprint = nullptr) const;
  // Key types (ssh-ed25519, ecdsa-sha2-nistp256, …) the file lists for the host.
  [[nodiscard]] std::vector<std::string> known_types(const std::string& host,
                                                     std::uint16_t port) const;
  [[nodiscard]] std::size_t entries() const { return m_entries; }
  [[nodiscard]] std::size_t skipped_lines() const { return m_skipped; }

  // Appends one entry for the host (plain name) to the file, creating it (0600) and its
  // directory (0700) when missing. Existing lines are never rewritten.
  static void append(const std::filesystem::path& file, const std::string& host, std::uint16_t port,
                     const HostKey& key);

 private:
  struct Impl;
  explicit KnownHosts(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
  std::size_t m_entries = 0;
  std::size_t m_skipped = 0;
};

// How a session decides whether to trust the server's host key.
struct HostKeyPolicy {
  // "SHA256:…": when set, the key must have this fingerprint and known_hosts is not consulted.
  std::string expected_fingerprint;
  // The known_hosts file to check against (and to record an accepted new key in).
  std::filesystem::path known_hosts;
  // Trust a key the file does not list for the host (never a key that contradicts it).
  bool accept_unknown = false;
  // With accept_unknown: append the accepted key to `known_hosts`.
  bool record_accepted = true;
};

enum class HostKeyVerdict { known, fingerprint, accepted_new };

// Applies the policy. Throws Error(auth) when the key contradicts known_hosts or the expected
// fingerprint (the message shows the offered and the expected fingerprint), or when the key is
// unknown and the policy does not accept unknown keys.
HostKeyVerdict verify_host_key(const std::string& host, std::uint16_t port, const HostKey& key,
                               const HostKeyPolicy& policy);

}  // namespace ward::ssh
