#include "ward/vault/leaks.hpp"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/hash.hpp"
#include "ward/error.hpp"

namespace ward::vault {
namespace {

// SipHash-2-4 (Aumasson and Bernstein), a keyed 64-bit PRF: the prefilter in front of the
// HMAC, so that the millions of candidate substrings of a large log cost tens of nanoseconds
// each and only a prefilter hit pays for HMAC-SHA256. OpenSSL offers SipHash only through
// EVP_MAC, whose per-call setup costs more than the hash itself on inputs this short.
class SipHash {
 public:
  explicit SipHash(std::span<const std::uint8_t> key) {
    std::memcpy(&m_k0, key.data(), 8);
    std::memcpy(&m_k1, key.data() + 8, 8);
  }
  SipHash(const SipHash&) = delete;
  SipHash& operator=(const SipHash&) = delete;
  ~SipHash() {
    OPENSSL_cleanse(&m_k0, sizeof m_k0);
    OPENSSL_cleanse(&m_k1, sizeof m_k1);
  }

  [[nodiscard]] std::uint64_t operator()(std::string_view text) const {
    std::uint64_t v0 = 0x736f6d6570736575ULL ^ m_k0;
    std::uint64_t v1 = 0x646f72616e646f6dULL ^ m_k1;
    std::uint64_t v2 = 0x6c7967656e657261ULL ^ m_k0;
    std::uint64_t v3 = 0x7465646279746573ULL ^ m_k1;
    const auto round = [&] {
      v0 += v1;
      v1 = rotl(v1, 13);
      v1 ^= v0;
      v0 = rotl(v0, 32);
      v2 += v3;
      v3 = rotl(v3, 16);
      v3 ^= v2;
      v0 += v3;
      v3 = rotl(v3, 21);
      v3 ^= v0;
      v2 += v1;
      v1 = rotl(v1, 17);
      v1 ^= v2;
      v2 = rotl(v2, 32);
    };
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    const std::size_t whole = n & ~std::size_t{7};
    for (std::size_t i = 0; i < whole; i += 8) {
      std::uint64_t m = 0;
      std::memcpy(&m, p + i, 8);  // little-endian hosts (x86-64, arm64), as SipHash is defined
      v3 ^= m;
      round();
      round();
      v0 ^= m;
    }
    std::uint64_t last = static_cast<std::uint64_t>(n) << 56;
    for (std::size_t i = whole; i < n; ++i)
      last |= static_cast<std::uint64_t>(p[i]) << (8 * (i - whole));
    v3 ^= last;
    round();
    round();
    v0 ^= last;
    v2 ^= 0xff;
    round();
    round();
    round();
    round();
    return v0 ^ v1 ^ v2 ^ v3;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
  std::uint64_t m_k0 = 0;
  std::uint64_t m_k1 = 0;
};

}  // namespace

// HMAC-SHA256 with the key set once: EVP_MAC_init with a null key reuses it, so each candidate
// costs two SHA-256 compressions and no key schedule.
struct LeakIndex::Hasher {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  SipHash prefilter;

  explicit Hasher(const crypto::SecretBytes& key) : prefilter(prefilter_key(key)) {
    mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
    std::array<char, 7> digest{"SHA256"};
    const std::array<OSSL_PARAM, 2> params{
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
        OSSL_PARAM_construct_end()};
    if (ctx == nullptr || EVP_MAC_init(ctx, key.data(), key.size(), params.data()) != 1) {
      EVP_MAC_CTX_free(ctx);
      EVP_MAC_free(mac);
      fail(ErrorCode::internal, "cannot set up HMAC-SHA256 for the leak index");
    }
  }
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  static crypto::Digest prefilter_key(const crypto::SecretBytes& key) {
    static constexpr std::string_view k_purpose = "ward.cred.leaks.prefilter.v1";
    return crypto::hmac_sha256(
        key.bytes(), {reinterpret_cast<const std::uint8_t*>(k_purpose.data()), k_purpose.size()});
  }
  ~Hasher() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
  [[nodiscard]] std::pair<std::uint64_t, std::uint64_t> digest(std::string_view text) const {
    std::array<unsigned char, 32> out{};
    std::size_t len = 0;
    if (EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1 ||
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(text.data()), text.size()) !=
            1 ||
        EVP_MAC_final(ctx, out.data(), &len, out.size()) != 1) {
      fail(ErrorCode::internal, "HMAC-SHA256 failed");
    }
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, out.data(), 8);
    std::memcpy(&b, out.data() + 8, 8);
    return {a, b};
  }
};

namespace {

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// Characters a token ends at in logs, env files, JSON, YAML, URLs and shell lines.
constexpr std::array<bool, 256> k_delimiters = [] {
  std::array<bool, 256> table{};
  for (const unsigned char c : std::string_view(" \t\r\n\v\f\"'`=:@,;()[]{}<>/?&#|\\")) {
    table[c] = true;
  }
  table[0] = true;
  return table;
}();

bool is_delimiter(char c) { return k_delimiters[static_cast<unsigned char>(c)]; }

std::string url_encode(std::string_view text) {
  static constexpr std::string_view k_hex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(k_hex[c >> 4]);
      out.push_back(k_hex[c & 15]);
    }
  }
  return out;
}

std::string mask(std::string_view text) {
  std::string out(text.substr(0, 2));
  out.append(std::min<std::size_t>(text.size() - out.size(), 10), '*');
  return out;
}

}  // namespace

LeakIndex::LeakIndex(const crypto::SecretBytes& key)
    : m_hasher(std::make_unique<Hasher>(key)), m_bloom(k_bloom_bits / 64) {}
LeakIndex::~LeakIndex() = default;
LeakIndex::LeakIndex(LeakIndex&&) noexcept = default;
LeakIndex& LeakIndex::operator=(LeakIndex&&) noexcept = default;

void LeakIndex::add_form(std::size_t source, std::string_view text) {
  if (text.size() < k_min_length) return;
  auto [set, inserted] = m_by_length.try_emplace(text.size());
  if (inserted) {
    // unordered_map nodes do not move, so the table may point into them.
    if (m_length_table.size() <= text.size()) m_length_table.resize(text.size() + 1, nullptr);
    m_length_table[text.size()] = &set->second;
    m_lengths.insert(std::upper_bound(m_lengths.begin(), m_lengths.end(), text.size()),
                     text.size());
  }
  const auto sip = m_hasher->prefilter(text);
  set->second.prefilter.insert(sip);
  m_bloom[sip >> k_bloom_shift >> 6] |= std::uint64_t{1} << ((sip >> k_bloom_shift) & 63);
  auto& sources = set->second.digests[m_hasher->digest(text)];
  if (std::find(sources.begin(), sources.end(), source) == sources.end()) sources.push_back(source);
}

void LeakIndex::add(const LeakSource& source, const crypto::SecretBytes& value) {
  const auto text = value.reveal();
  if (text.size() < k_min_length) {
    ++m_skipped_short;
    return;
  }
  const auto index_of = [&](std::string form) {
    m_sources.push_back(source);
    m_sources.back().form = std::move(form);
    return m_sources.size() - 1;
  };
  // The scanner works line by line, so a value with a newline is found by its lines instead.
  if (text.find('\n') == std::string_view::npos) add_form(index_of("value"), text);
  auto encoded = crypto::base64_encode(value.bytes());
  add_form(index_of("base64"), encoded);
  OPENSSL_cleanse(encoded.data(), encoded.size());
  auto url = url_encode(text);
  if (url != text) add_form(index_of("url-encoded"), url);
  OPENSSL_cleanse(url.data(), url.size());
  if (text.find('\n') != std::string_view::npos) {
    // A PEM key or certificate: each body line is long and specific enough on its own.
    std::size_t pos = 0;
    std::size_t number = 1;
    while (pos < text.size()) {
      auto end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      auto line = text.substr(pos, end - pos);
      if (line.ends_with('\r')) line.remove_suffix(1);
      if (line.size() >= 20 && !line.starts_with("-----")) {
        add_form(index_of("line " + std::to_string(number)), line);
      }
      pos = end + 1;
      ++number;
    }
  }
}

std::size_t LeakIndex::hash_count() const {
  std::size_t n = 0;
  for (const auto& [length, set] : m_by_length) n += set.digests.size();
  return n;
}

const std::vector<std::size_t>* LeakIndex::lookup(std::string_view candidate) const {
  if (candidate.size() >= m_length_table.size()) return nullptr;
  const auto* set = m_length_table[candidate.size()];
  if (set == nullptr) return nullptr;
  const auto sip = m_hasher->prefilter(candidate);
  if ((m_bloom[sip >> k_bloom_shift >> 6] & (std::uint64_t{1} << ((sip >> k_bloom_shift) & 63))) ==
      0) {
    return nullptr;
  }
  if (!set->prefilter.contains(sip)) return nullptr;
  const auto found = set->digests.find(m_hasher->digest(candidate));
  return found == set->digests.end() ? nullptr : &found->second;
}

LeakScanner::LeakScanner(const LeakIndex& index, std::string file, ScanStats& stats)
    : m_index(index), m_file(std::move(file)), m_stats(stats) {}

void LeakScanner::scan_line(std::string_view line) {
  ++m_line;
  ++m_stats.lines;
  scan_span(line, m_carry_first, line.size(), true);
  m_column_base = 0;
  m_carry_first = 0;
}

// Tries the token starts in [first, last) of `text`: the start of a line (when first is 0 and
// no earlier part of the line was cut off) or the position after a delimiter. A candidate may end
// at the end of `text` only when the line ends there.
void LeakScanner::scan_span(std::string_view text, std::size_t first, std::size_t last,
                            bool line_ends) {
  const auto& lengths = m_index.lengths();
  if (lengths.empty()) return;
  const auto n = text.size();
  for (std::size_t s = first; s < last && s + lengths.front() <= n; ++s) {
    // A token starts at the line's start or after a delimiter, and not on a blank.
    if ((s != 0 && !is_delimiter(text[s - 1])) || is_space(static_cast<unsigned char>(text[s])))
      continue;
    for (const auto length : lengths) {
      const auto e = s + length;
      if (e > n || (e == n && !line_ends)) break;
      if ((e != n && !is_delimiter(text[e])) || is_space(static_cast<unsigned char>(text[e - 1])))
        continue;
      ++m_stats.hashed;
      const auto candidate = text.substr(s, length);
      if (const auto* sources = m_index.lookup(candidate)) {
        for (const auto source : *sources) {
          m_leaks.push_back({source, m_file, m_line + (line_ends ? 0 : 1), m_column_base + s + 1,
                             length, mask(candidate)});
        }
      }
    }
  }
}

// A line longer than this (a binary file, a minified bundle) is scanned as it arrives, keeping
// only the tail a match could still start in, so memory stays bounded.
constexpr std::size_t k_max_carry = std::size_t{1} << 20;

void LeakScanner::trim_carry() {
  const auto& lengths = m_index.lengths();
  if (lengths.empty()) {
    m_carry.resize(0);
    return;
  }
  const auto longest = lengths.back();
  if (m_carry.size() <= k_max_carry || m_carry.size() <= longest + 1) return;
  // Every start before `cut` has all its candidates (and the byte after them) in the carry.
  const auto cut = m_carry.size() - longest;
  scan_span(m_carry.reveal(), m_carry_first, cut, false);
  crypto::SecretBytes tail(m_carry.data() + cut - 1, m_carry.size() - (cut - 1));
  m_carry = std::move(tail);
  m_column_base += cut - 1;
  m_carry_first = 1;  // byte 0 is context: the one before the first start still to try
}

void LeakScanner::feed(std::span<const std::uint8_t> data) {
  m_stats.bytes += data.size();
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto newline = text.find('\n', pos);
    if (newline == std::string_view::npos) {
      m_carry.append(text.substr(pos));
      trim_carry();
      return;
    }
    if (m_carry.empty()) {
      scan_line(text.substr(pos, newline - pos));
    } else {
      m_carry.append(text.substr(pos, newline - pos));
      scan_line(m_carry.reveal());
      m_carry.resize(0);
    }
    pos = newline + 1;
  }
}

std::vector<Leak> LeakScanner::finish() {
  if (!m_carry.empty() || m_carry_first != 0) {
    scan_line(m_carry.reveal());
    m_carry = crypto::SecretBytes();
  }
  return std::move(m_leaks);
}

namespace {

void scan_fd(int fd, const std::string& name, const LeakIndex& index, ScanStats& stats,
             std::vector<Leak>& out) {
  LeakScanner scanner(index, name, stats);
  // The read buffer holds the scanned text, which may be someone's secret: secret memory.
  crypto::SecretBytes buffer(1 << 20);
  for (;;) {
    const auto n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(ErrorCode::usage, "cannot read " + name + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    scanner.feed(buffer.bytes().first(static_cast<std::size_t>(n)));
  }
  ++stats.files;
  auto leaks = scanner.finish();
  out.insert(out.end(), std::make_move_iterator(leaks.begin()),
             std::make_move_iterator(leaks.end()));
}

void scan_file(const std::string& path, const LeakIndex& index, ScanStats& stats,
               std::vector<Leak>& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    fail(errno == ENOENT ? ErrorCode::not_found : ErrorCode::usage,
         "cannot read " + path + ": " + std::strerror(errno));
  }
  try {
    scan_fd(fd, path, index, stats, out);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

}  // namespace

std::vector<Leak> scan_paths(const LeakIndex& index, const std::vector<std::string>& paths,
                             ScanStats& stats) {
  namespace fs = std::filesystem;
  std::vector<Leak> out;
  for (const auto& path : paths) {
    if (path == "-") {
      scan_fd(0, "<stdin>", index, stats, out);
      continue;
    }
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      fail(ErrorCode::not_found, "no file or directory " + path);
    }
    if (!fs::is_directory(status)) {
      scan_file(path, index, stats, out);
      continue;
    }
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->path().filename() == ".git" && it->is_directory(ec)) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec)) files.push_back(it->path().string());
    }
    if (ec) fail(ErrorCode::usage, "cannot walk " + path + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) scan_file(file, index, stats, out);
  }
  return out;
}

}  // namespace ward::vault
