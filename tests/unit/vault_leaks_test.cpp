#include <catch2/catch.hpp>

#include "ward/crypto/random.hpp"
#include "ward/vault/leaks.hpp"

namespace wv = ward::vault;
using ward::crypto::SecretBytes;

namespace {

constexpr std::string_view k_secret = "Xq7:p=w@d\"9Lm";  // delimiters inside, on purpose
constexpr std::string_view k_other = "plainToken123456";

wv::LeakIndex make_index() {
  wv::LeakIndex index(ward::crypto::random_secret(32));
  index.add({"db/prod", "id1", 3, true, "password", {}}, SecretBytes::from(k_secret));
  index.add({"api", "id2", 1, true, "token", {}}, SecretBytes::from(k_other));
  index.add({"short", "id3", 1, true, "secret", {}}, SecretBytes::from("abc"));
  index.add({"ssh", "id4", 2, false, "private_key", {}},
            SecretBytes::from("-----BEGIN KEY-----\nAAAAbodyLineNumberOne0123456789\n"
                              "shortline\n-----END KEY-----\n"));
  return index;
}

std::vector<wv::Leak> scan(const wv::LeakIndex& index, std::string_view text,
                           std::size_t chunk = 1 << 20) {
  wv::ScanStats stats;
  wv::LeakScanner scanner(index, "f", stats);
  for (std::size_t pos = 0; pos < text.size(); pos += chunk) {
    const auto part = text.substr(pos, chunk);
    scanner.feed({reinterpret_cast<const std::uint8_t*>(part.data()), part.size()});
  }
  return scanner.finish();
}

std::string found(const wv::LeakIndex& index, const std::vector<wv::Leak>& leaks) {
  std::string out;
  for (const auto& leak : leaks) {
    const auto& s = index.sources()[leak.source];
    out += s.credential + "/" + s.form + "@" + std::to_string(leak.line) + ":" +
           std::to_string(leak.column) + " ";
  }
  return out;
}

}  // namespace

TEST_CASE("leaks: tokens cut at quotes, =, :, blanks and URL userinfo") {
  const auto index = make_index();
  const std::string s(k_secret);
  const std::string o(k_other);
  CHECK(found(index, scan(index, "PASSWORD=" + o + "\n")) == "api/value@1:10 ");
  CHECK(found(index, scan(index, "{\"password\": \"" + s + "\"}\n")) == "db/prod/value@1:15 ");
  CHECK(found(index, scan(index, "postgres://app:" + o + "@db:5432/x")) == "api/value@1:16 ");
  CHECK(found(index, scan(index, "a\nb\n  token: '" + o + "' # x\n")) == "api/value@3:11 ");
  CHECK(found(index, scan(index, o)) == "api/value@1:1 ");
  // Not a token of its own: longer words that contain the secret.
  CHECK(scan(index, "x" + o + " " + o + "y\n").empty());
  // Too short to be looked for.
  CHECK(scan(index, "abc abc=abc\n").empty());
  CHECK(index.skipped_short() == 1);
}

TEST_CASE("leaks: base64 and URL-encoded forms, and lines of a multi-line secret") {
  const auto index = make_index();
  CHECK(found(index, scan(index, "k: WHE3OnA9d0BkIjlMbQ==\n")) == "db/prod/base64@1:4 ");
  CHECK(found(index, scan(index, "u://a:Xq7%3Ap%3Dw%40d%229Lm@h\n")) == "db/prod/url-encoded@1:7 ");
  CHECK(found(index, scan(index, "key material:\nAAAAbodyLineNumberOne0123456789\n")) ==
        "ssh/line 2@2:1 ");
  CHECK(scan(index, "shortline\n").empty());
}

TEST_CASE("leaks: a line split across chunks is still found, line numbers hold") {
  const auto index = make_index();
  const std::string text =
      "one\ntwo " + std::string(k_other) + " three\nfour\r\n" + std::string(k_other) + "\r\n";
  for (const std::size_t chunk : {1U, 3U, 7U, 1000U}) {
    CHECK(found(index, scan(index, text, chunk)) == "api/value@2:5 api/value@4:1 ");
  }
}

TEST_CASE("leaks: another key finds nothing (the index holds keyed hashes only)") {
  const auto index = make_index();
  wv::LeakIndex other(ward::crypto::random_secret(32));
  other.add({"api", "id2", 1, true, "token", {}}, SecretBytes::from("differentToken99"));
  CHECK(other.lookup(k_other) == nullptr);
  CHECK(index.lookup(k_other) != nullptr);
  CHECK(index.hash_count() >= 5);
}

TEST_CASE("leaks: a line of several MiB is scanned in bounded memory, columns exact") {
  const auto index = make_index();
  const std::string o(k_other);
  std::string text = "first\n";
  text += std::string(3 << 20, 'a') + " " + o + " ";  // column 3 MiB + 2
  text += std::string(2 << 20, 'b') + "=" + o;        // at the very end, no newline
  const std::string expected =
      "api/value@2:" + std::to_string((3 << 20) + 2) +
      " api/value@2:" + std::to_string((3 << 20) + 1 + o.size() + 1 + (2 << 20) + 1 + 1) + " ";
  for (const std::size_t chunk : {4096U, 65536U, 1U << 20}) {
    CHECK(found(index, scan(index, text, chunk)) == expected);
  }
  // A multi-line secret is looked for by its lines, not as one value with a newline.
  for (const auto& source : index.sources())
    CHECK(!(source.credential == "ssh" && source.form == "value"));
}
