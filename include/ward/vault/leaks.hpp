#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ward/crypto/secret.hpp"

// `ward cred leaks`: finding secrets that ward manages in files (logs, configs, CI output).
// The managed secrets are indexed as keyed hashes (HMAC-SHA256 under a key derived from the
// namespace's never-rotated name key, purpose "ward.cred.leaks.v1"), one set per secret length;
// the plaintext is dropped once hashed. The scanner reads text once, and at every place where a
// token can begin and end (a line's ends, blanks, quotes, = : @ , ; brackets, / ? & # |) hashes
// the substrings whose lengths some managed secret has, and looks the hash up: so `KEY=secret`,
// `"password": "secret"`, `postgres://user:secret@host` and a secret that itself contains
// such characters are found alike, and nothing is ever compared in plaintext.
namespace ward::vault {

// What one indexed hash stands for.
struct LeakSource {
  std::string credential;
  std::string credential_id;
  std::uint32_t version = 0;
  bool current = false;  // the current version (else superseded, still readable for its grace)
  std::string field;
  std::string form;  // "value", "base64", "url-encoded", or "line N" of a multi-line secret
};

struct Leak {
  std::size_t source = 0;  // index into LeakIndex::sources()
  std::string file;
  std::uint64_t line = 0;
  std::uint64_t column = 0;  // 1-based, in bytes
  std::size_t length = 0;
  std::string masked;  // the first two characters and asterisks
};

class LeakIndex {
 public:
  // Secrets shorter than this are not looked for: too many ordinary words would match.
  static constexpr std::size_t k_min_length = 8;

  explicit LeakIndex(const crypto::SecretBytes& key);
  ~LeakIndex();
  LeakIndex(const LeakIndex&) = delete;
  LeakIndex& operator=(const LeakIndex&) = delete;
  LeakIndex(LeakIndex&&) noexcept;
  LeakIndex& operator=(LeakIndex&&) noexcept;

  // Indexes one secret value: as it is, base64-encoded, URL-encoded (when that differs), and
  // for a multi-line secret (a private key) each of its longer lines on its own.
  void add(const LeakSource& source, const crypto::SecretBytes& value);

  [[nodiscard]] const std::vector<LeakSource>& sources() const { return m_sources; }
  [[nodiscard]] std::size_t hash_count() const;
  [[nodiscard]] std::size_t skipped_short() const { return m_skipped_short; }
  [[nodiscard]] const std::vector<std::size_t>& lengths() const { return m_lengths; }

  // The sources whose hash equals that of `candidate` (of a length in lengths()), or null.
  [[nodiscard]] const std::vector<std::size_t>* lookup(std::string_view candidate) const;

 private:
  void add_form(std::size_t source, std::string_view text);
  struct Hasher;
  std::unique_ptr<Hasher> m_hasher;
  std::vector<LeakSource> m_sources;
  // length → truncated HMAC (128 bits, as two words) → sources
  struct DigestHash {
    std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& d) const noexcept {
      return static_cast<std::size_t>(d.first);
    }
  };
  using Set = std::unordered_map<std::pair<std::uint64_t, std::uint64_t>, std::vector<std::size_t>,
                                 DigestHash>;
  // A keyed 64-bit SipHash prefilter in front of the HMAC (see leaks.cpp).
  struct LengthSet {
    std::unordered_set<std::uint64_t> prefilter;
    Set digests;
  };
  std::unordered_map<std::size_t, LengthSet> m_by_length;
  std::vector<const LengthSet*> m_length_table;  // by length, for the scanner's hot loop
  // One bit per SipHash value's top 20 bits, over every length: 128 KiB that stay in cache and
  // turn away almost every candidate before a hash-table probe.
  static constexpr std::size_t k_bloom_bits = std::size_t{1} << 20;
  static constexpr int k_bloom_shift = 64 - 20;
  std::vector<std::uint64_t> m_bloom;
  std::vector<std::size_t> m_lengths;  // sorted
  std::size_t m_skipped_short = 0;
};

struct ScanStats {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t lines = 0;
  std::uint64_t hashed = 0;  // candidates hashed
};

// Scans one input in one pass, fed in chunks of any size.
class LeakScanner {
 public:
  LeakScanner(const LeakIndex& index, std::string file, ScanStats& stats);
  void feed(std::span<const std::uint8_t> data);
  // Scans the last line (one without a newline) and returns every leak found in the input.
  std::vector<Leak> finish();

 private:
  void scan_line(std::string_view line);
  void scan_span(std::string_view text, std::size_t first, std::size_t last, bool line_ends);
  void trim_carry();
  const LeakIndex& m_index;
  std::string m_file;
  ScanStats& m_stats;
  crypto::SecretBytes m_carry;      // (the tail of) a line still being read
  std::uint64_t m_column_base = 0;  // bytes of that line already scanned and dropped
  std::size_t m_carry_first = 0;    // 1 when m_carry[0] is such a byte, kept as context
  std::uint64_t m_line = 0;
  std::vector<Leak> m_leaks;
};

// Scans files, directories (recursively; .git is skipped) or "-" for standard input. Error
// (not_found) for a path that does not exist.
std::vector<Leak> scan_paths(const LeakIndex& index, const std::vector<std::string>& paths,
                             ScanStats& stats);

}  // namespace ward::vault
