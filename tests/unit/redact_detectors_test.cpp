#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>

#include "test_support.hpp"
#include "ward/redact/scanner.hpp"

namespace wr = ward::redact;

namespace {

// The findings of one detector in `text`, as strings.
std::vector<std::string> found(const std::string& detector, const std::string& text) {
  const wr::Scanner scanner(wr::select_detectors({detector}));
  std::vector<wr::Hit> hits;
  scanner.scan(text, hits);
  std::vector<std::string> out;
  for (const auto& hit : hits) out.push_back(text.substr(hit.begin, hit.end - hit.begin));
  return out;
}

// Which detector claims each finding when every detector runs.
std::vector<std::string> claimed(const std::string& text) {
  const wr::Scanner scanner(wr::select_detectors({}));
  std::vector<wr::Hit> hits;
  scanner.scan(text, hits);
  std::vector<std::string> out;
  for (const auto& hit : hits) {
    out.push_back(std::string(scanner.detectors()[hit.detector]->name()) + "=" +
                  text.substr(hit.begin, hit.end - hit.begin));
  }
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("redact detector email: addresses, not URLs or retina images") {
  CHECK(found("email", "mail alice.smith+tag@mail.example.co.uk now") ==
        V{"alice.smith+tag@mail.example.co.uk"});
  CHECK(found("email", "<bob@example.org>, carol@example.com.") ==
        V{"bob@example.org", "carol@example.com"});
  CHECK(found("email", "https://cdn.example.com/img/logo@2x.png").empty());
  CHECK(found("email", "ssh://git@github.com/org/repo").empty());
  CHECK(found("email", "https://user@example.com/path").empty());
  CHECK(found("email", ".dot@example.com").size() == 1);  // the dot is punctuation before it
  CHECK(found("email", "a..b@example.com").empty());
  CHECK(found("email", "x@-bad.example.com").empty());
  CHECK(found("email", "no at sign here").empty());
  // The start is found without Hyperscan's start-of-match tracking: the whole local part.
  CHECK(found("email", "mail:alice.b_c%d+e-f@example.com x") == V{"alice.b_c%d+e-f@example.com"});
  CHECK(found("email", "a@b@example.com").empty());  // no local part may hold '@'
  CHECK(found("email", "one@example.com,two@example.org") ==
        V{"one@example.com", "two@example.org"});
  // A URL in an earlier line or CSV record (ended by CR alone) does not swallow the address.
  CHECK(found("email", "see http://x/\rbob@example.org") == V{"bob@example.org"});
  CHECK(found("email", "http://x/\fbob@example.org\v") == V{"bob@example.org"});
}

namespace {

// A detector with the patterns of `of` (start finders included) that accepts every candidate.
class Unvalidated final : public wr::Detector {
 public:
  explicit Unvalidated(std::shared_ptr<const wr::Detector> of) : m_of(std::move(of)) {}
  [[nodiscard]] std::string_view name() const override { return m_of->name(); }
  [[nodiscard]] std::string_view description() const override { return "test"; }
  [[nodiscard]] std::vector<wr::Pattern> patterns() const override { return m_of->patterns(); }
  [[nodiscard]] bool validate(std::string_view /*text*/, std::size_t& /*begin*/,
                              std::size_t& /*end*/) const override {
    return true;
  }

 private:
  std::shared_ptr<const wr::Detector> m_of;
};

}  // namespace

TEST_CASE("redact scanner: a start finder agrees with Hyperscan's start of match") {
  // Every built-in pattern with its own start finder, against the same regex matched with
  // Hyperscan's leftmost start-of-match tracking, over random text dense with near misses.
  for (const auto& detector : wr::builtin_detectors()) {
    for (const auto& pattern : detector->patterns()) {
      if (pattern.leftmost_start == nullptr) continue;
      INFO(detector->name());
      const wr::Scanner own(wr::DetectorList{std::make_shared<Unvalidated>(detector)});
      const wr::Scanner hyperscan(wr::DetectorList{wr::make_regex_detector("same", pattern.regex)});
      std::uint32_t state = 12345;
      std::size_t compared = 0;
      const std::string_view alphabet = "ab9_.-+%@@..:x com\n";
      for (int round = 0; round < 200; ++round) {
        std::string text;
        for (int i = 0; i < 300; ++i) {
          state = state * 1103515245U + 12345U;
          text += alphabet[(state >> 16) % alphabet.size()];
        }
        std::vector<wr::Hit> a;
        std::vector<wr::Hit> b;
        own.scan(text, a);
        hyperscan.scan(text, b);
        REQUIRE(a.size() == b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
          CHECK(a[i].begin == b[i].begin);
          CHECK(a[i].end == b[i].end);
        }
        compared += a.size();
      }
      CHECK(compared > 40);  // the text did hold matches
    }
  }
}

TEST_CASE("redact detector phone: E.164 and national formats, not dates or versions") {
  CHECK(found("phone", "call +4930123456 or +1 (555) 234-5678") ==
        V{"+4930123456", "+1 (555) 234-5678"});
  CHECK(found("phone", "office (212) 555-0175, cell 415-555-0132") ==
        V{"(212) 555-0175", "415-555-0132"});
  CHECK(found("phone", "London 020 7946 0958 Paris 01 23 45 67 89") ==
        V{"020 7946 0958", "01 23 45 67 89"});
  // Near misses: dates, times, versions, short numbers, glued digits.
  CHECK(found("phone", "on 2026-11-23 at 14:43:00").empty());
  CHECK(found("phone", "due 23.11.2026 or 11/23/2026").empty());
  CHECK(found("phone", "version 10.2.3456.7890").empty());
  CHECK(found("phone", "+12345").empty());
  CHECK(found("phone", "id 4155550132999").empty());
}

TEST_CASE("redact detector card: Luhn-valid numbers of real schemes only") {
  CHECK(found("card", "visa 4111111111111111 mc 5500-0000-0000-0004 amex 3782 822463 10005") ==
        V{"4111111111111111", "5500-0000-0000-0004", "3782 822463 10005"});
  CHECK(found("card", "4111 1111 1111 1111") == V{"4111 1111 1111 1111"});
  // Near misses: Luhn-invalid, no issuer prefix (ms timestamps), mixed separators, glued.
  CHECK(found("card", "4111111111111112").empty());
  CHECK(found("card", "ts 1700000000000 1234567812345670").empty());
  CHECK(found("card", "4111-1111 1111-1111").empty());
  CHECK(found("card", "94111111111111111").empty());
}

TEST_CASE("redact detector iban: mod-97 and country length") {
  CHECK(found("iban", "pay to DE89370400440532013000 today") == V{"DE89370400440532013000"});
  CHECK(found("iban", "GB82 WEST 1234 5698 7654 32 thanks") == V{"GB82 WEST 1234 5698 7654 32"});
  CHECK(found("iban", "DE89 3704 0044 0532 0130 00 ABCD") == V{"DE89 3704 0044 0532 0130 00"});
  CHECK(found("iban", "DE88370400440532013000").empty());  // wrong check digits
  CHECK(found("iban", "ZZ89370400440532013000").empty());  // no such country
  CHECK(found("iban", "DE8937040044053201300").empty());   // too short for DE
}

TEST_CASE("redact detector ssn: valid areas, groups and serials") {
  CHECK(found("ssn", "ssn 123-45-6789 and 078 05 1120") == V{"123-45-6789", "078 05 1120"});
  CHECK(found("ssn", "000-12-3456 666-12-3456 912-34-5678 123-00-4567 123-45-0000").empty());
  CHECK(found("ssn", "part 1-123-45-6789-2").empty());
}

TEST_CASE("redact detector ip: IPv4 octets and IPv6 forms, not times or versions") {
  CHECK(found("ipv4", "from 192.168.1.20 to 10.0.0.1") == V{"192.168.1.20", "10.0.0.1"});
  CHECK(found("ipv4", "256.1.1.1 1.2.3.4.5 01.2.3.4").empty());
  // Four-part versions named as such are not addresses; addresses named otherwise still are.
  CHECK(found("ipv4", "version 1.2.3.4, Version: 10.0.0.1, ver=1.2.3.4, v 2.0.0.1").empty());
  CHECK(found("ipv4", R"({"version":"1.7.17.130","app_version": "1.2.3.4","appVersion":"1.2.3.4"})")
            .empty());
  CHECK(found("ipv4", R"({"ip":"10.1.2.3","detail":"customer 10.1.2.4"})") ==
        V{"10.1.2.3", "10.1.2.4"});
  CHECK(found("ipv4", "conversion 10.1.2.3; version 2 on host 10.1.2.4; server=10.1.2.5") ==
        V{"10.1.2.3", "10.1.2.4", "10.1.2.5"});
  CHECK(found("ipv6", "peer 2001:db8::8a2e:370:7334 and fe80::1 and ::1 end") ==
        V{"2001:db8::8a2e:370:7334", "fe80::1"});
  CHECK(found("ipv6", "2001:0db8:85a3:0000:0000:8a2e:0370:7334") ==
        V{"2001:0db8:85a3:0000:0000:8a2e:0370:7334"});
  CHECK(found("ipv6", "at 14:43:00 std::string Foo::Bar").empty());
  CHECK(found("ipv6", "mapped ::ffff:192.0.2.1 and 64:ff9b::198.51.100.7 here") ==
        V{"::ffff:192.0.2.1", "64:ff9b::198.51.100.7"});
  CHECK(found("ipv6", "fe80:0:0:0:0:0:0:1 2001:db8:0:0:1:0:0:1") ==
        V{"fe80:0:0:0:0:0:0:1", "2001:db8:0:0:1:0:0:1"});
  CHECK(found("ipv6", "{\"ts\":\"2026-11-03T12:34:56Z\",\"ab:cd\":1, dead:beef:1}").empty());
}

TEST_CASE("redact detector secrets: PEM private keys, cloud keys, JWTs, bearer tokens") {
  const std::string pem =
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1\n-----END RSA PRIVATE KEY-----";
  CHECK(found("private_key", "before\n" + pem + "\nafter\n" + pem) == V{pem, pem});
  CHECK(found("private_key", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----").empty());
  CHECK(found("private_key", "-----BEGIN EC PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----")
            .empty());
  CHECK(found("cloud_key", "aws AKIAIOSFODNN7EXAMPLE key") == V{"AKIAIOSFODNN7EXAMPLE"});
  CHECK(found("cloud_key", "XAKIAIOSFODNN7EXAMPLE").empty());
  CHECK(found("cloud_key", "AIzaSyA1234567890abcdefghijklmnopqrstuv") ==
        V{"AIzaSyA1234567890abcdefghijklmnopqrstuv"});
  CHECK(found("cloud_key", "ghp_abcdefghijklmnopqrstuvwxyz0123456789") ==
        V{"ghp_abcdefghijklmnopqrstuvwxyz0123456789"});
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
      "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  CHECK(found("jwt", "token=" + jwt + ";") == V{jwt});
  CHECK(found("jwt", "eyJub3RoaW5nIjoxfQ.eyJzdWIiOiIxMjM0In0.abcdefghijkl").empty());  // no alg
  CHECK(found("bearer", "Authorization: Bearer abc123DEF456ghi789") == V{"abc123DEF456ghi789"});
  CHECK(found("bearer", "uses Bearer authentication-required").empty());
}

TEST_CASE("redact scanner: one pass, overlaps resolved, user regexes") {
  CHECK(claimed("card 4111111111111111 mail a@example.com ip 10.1.2.3") ==
        V{"card=4111111111111111", "email=a@example.com", "ipv4=10.1.2.3"});
  // A JWT after "Bearer " is claimed once, by the JWT detector listed first.
  CHECK(claimed("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijk1") ==
        V{"jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijk1"});
  const auto order = wr::make_regex_detector("order_id", "ORD-[0-9]{8}");
  const wr::Scanner scanner(wr::select_detectors({"email"}, {order}));
  std::vector<wr::Hit> hits;
  scanner.scan("ORD-12345678 by x@example.com", hits);
  REQUIRE(hits.size() == 2);
  CHECK(scanner.detectors()[hits[0].detector]->name() == "order_id");
  using ward::testing::error_code_of;
  CHECK(error_code_of([] { (void)wr::select_detectors({"nope"}); }) == ward::ErrorCode::usage);
  CHECK(error_code_of([] { (void)wr::make_regex_detector("email", "x"); }) ==
        ward::ErrorCode::usage);
  CHECK(error_code_of([] {
          (void)wr::Scanner(
              wr::select_detectors({"email"}, {wr::make_regex_detector("bad", "(a")}));
        }) == ward::ErrorCode::usage);
}
