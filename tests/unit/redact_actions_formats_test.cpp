#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_support.hpp"
#include "ward/crypto/random.hpp"
#include "ward/redact/action.hpp"
#include "ward/redact/file_redact.hpp"
#include "ward/redact/format.hpp"

namespace wr = ward::redact;
using ward::testing::error_code_of;

namespace {

struct Keys {
  ward::crypto::SecretBytes pseudonym = ward::crypto::random_secret(32);
  ward::crypto::SecretBytes token = ward::crypto::random_secret(32);
  [[nodiscard]] wr::ActionKeys keys() const { return {&pseudonym, &token}; }
};

wr::Redactor redactor(wr::ActionKind kind, const Keys& keys, std::string replacement = {}) {
  wr::ActionSpec spec;
  spec.kind = kind;
  spec.replacement = std::move(replacement);
  return {spec, keys.keys()};
}

// Runs a whole input through one format as a single chunk.
std::string redact_text(const wr::FileRedaction& redaction, const std::string& input,
                        wr::Stats* stats_out = nullptr) {
  auto format = wr::make_format(redaction);
  format->prepare(input);
  std::vector<wr::Edit> edits;
  wr::Stats stats;
  format->edits(input, true, edits, stats);
  std::string out;
  wr::apply_edits(input, edits, out);
  if (stats_out != nullptr) *stats_out = stats;
  return out;
}

wr::FileRedaction scan_all(wr::InputFormat format, wr::ActionKind kind, const Keys& keys) {
  wr::FileRedaction redaction;
  redaction.format = format;
  redaction.scanner = std::make_shared<const wr::Scanner>(wr::select_detectors({}));
  redaction.redactor = std::make_shared<const wr::Redactor>(redactor(kind, keys));
  return redaction;
}

}  // namespace

TEST_CASE("redact actions: mask, partial, hash, encrypt, drop, replace") {
  const Keys keys;
  CHECK(redactor(wr::ActionKind::mask, keys).apply("4111111111111111") == std::string(16, '*'));
  CHECK(redactor(wr::ActionKind::partial, keys).apply("4111111111111111") ==
        std::string(12, '*') + "1111");
  const auto hash = redactor(wr::ActionKind::hash, keys);
  const auto pseudonym = hash.apply("alice@example.com");
  REQUIRE(pseudonym);
  CHECK(pseudonym->starts_with("pii_"));
  CHECK(pseudonym->size() == 30);
  CHECK(hash.apply("alice@example.com") == pseudonym);  // stable: joins survive
  CHECK(hash.apply("bob@example.com") != pseudonym);
  CHECK(hash.is_output(*pseudonym));
  const Keys other;
  CHECK(redactor(wr::ActionKind::hash, other).apply("alice@example.com") != pseudonym);

  const auto encrypt = redactor(wr::ActionKind::encrypt, keys);
  const auto token = encrypt.apply("alice@example.com");
  REQUIRE(token);
  CHECK(token->starts_with("wtk1."));
  CHECK(encrypt.apply("alice@example.com") == token);  // deterministic
  CHECK(wr::reveal_token(*token, keys.token).reveal() == "alice@example.com");
  CHECK(error_code_of([&] { (void)wr::reveal_token(*token, other.token); }) ==
        ward::ErrorCode::auth);
  auto tampered = *token;
  tampered[8] = tampered[8] == 'A' ? 'B' : 'A';
  CHECK(error_code_of([&] { (void)wr::reveal_token(tampered, keys.token); }) ==
        ward::ErrorCode::auth);
  CHECK(error_code_of([&] { (void)wr::reveal_token("nope", keys.token); }) ==
        ward::ErrorCode::usage);
  CHECK(encrypt.apply("") == std::string());

  CHECK_FALSE(redactor(wr::ActionKind::drop, keys).apply("x"));
  CHECK(redactor(wr::ActionKind::replace, keys, "[gone]").apply("x") == "[gone]");
  CHECK(wr::masked_sample("alice@example.com") == "*************.com");
  CHECK(wr::masked_sample("10.1.2.3") == "1*******");
  CHECK(error_code_of([] { (void)wr::parse_action("shred"); }) == ward::ErrorCode::usage);
}

TEST_CASE("redact format text: only the findings change") {
  const Keys keys;
  const std::string input =
      "2026-11-23T14:43:00Z user=alice@example.com card=4111111111111111 ok\n"
      "2026-11-23T14:43:01Z nothing here 1234567890123\n"
      "tail without newline 10.0.0.7";
  wr::Stats stats;
  const auto out =
      redact_text(scan_all(wr::InputFormat::text, wr::ActionKind::mask, keys), input, &stats);
  CHECK(out ==
        "2026-11-23T14:43:00Z user=***************** card=**************** ok\n"
        "2026-11-23T14:43:01Z nothing here 1234567890123\n"
        "tail without newline ********");
  CHECK(stats.items == 3);
  CHECK(stats.detectors.at("email") == 1);
  CHECK(stats.detectors.at("card") == 1);
  CHECK(stats.detectors.at("ipv4") == 1);
  // Idempotent: a second pass finds nothing.
  CHECK(redact_text(scan_all(wr::InputFormat::text, wr::ActionKind::mask, keys), out) == out);
  // drop removes the span.
  CHECK(redact_text(scan_all(wr::InputFormat::text, wr::ActionKind::drop, keys),
                    "to a@example.com now") == "to  now");
}

TEST_CASE("redact format csv: quoting kept, bytes outside redacted cells identical") {
  const Keys keys;
  const std::string input =
      "id,\"e-mail\",note,phone\r\n"
      "1,alice@example.com,\"said \"\"hi\"\", card 4111111111111111\",+4930123456\r\n"
      "2,\"bob@example.com\",\"multi\nline, no pii\",\r\n"
      "3,,plain,+4930654321\r\n";
  // Every cell scanned.
  const auto all = redact_text(scan_all(wr::InputFormat::csv, wr::ActionKind::mask, keys), input);
  CHECK(all ==
        "id,\"e-mail\",note,phone\r\n"
        "1,*****************,\"said \"\"hi\"\", card ****************\",***********\r\n"
        "2,\"***************\",\"multi\nline, no pii\",\r\n"
        "3,,plain,***********\r\n");
  // By column: the whole value of e-mail hashed, findings in note replaced with a constant that
  // needs quoting.
  wr::FileRedaction columns;
  columns.format = wr::InputFormat::csv;
  columns.rules.push_back(
      {"e-mail", nullptr,
       std::make_shared<const wr::Redactor>(redactor(wr::ActionKind::hash, keys))});
  columns.rules.push_back({"note",
                           std::make_shared<const wr::Scanner>(wr::select_detectors({"card"})),
                           std::make_shared<const wr::Redactor>(
                               redactor(wr::ActionKind::replace, keys, "[card, removed]"))});
  wr::Stats stats;
  const auto out = redact_text(columns, input, &stats);
  const auto alice = *redactor(wr::ActionKind::hash, keys).apply("alice@example.com");
  const auto bob = *redactor(wr::ActionKind::hash, keys).apply("bob@example.com");
  CHECK(out ==
        "id,\"e-mail\",note,phone\r\n"
        "1," +
            alice +
            ",\"said \"\"hi\"\", card [card, removed]\",+4930123456\r\n"
            "2,\"" +
            bob +
            "\",\"multi\nline, no pii\",\r\n"
            "3,,plain,+4930654321\r\n");
  CHECK(stats.fields.at("e-mail") == 2);
  CHECK(stats.fields.at("note") == 1);
  CHECK(redact_text(columns, out) == out);  // hashing twice changes nothing
  // An unknown column is refused before anything is processed.
  wr::FileRedaction unknown;
  unknown.format = wr::InputFormat::csv;
  unknown.rules.push_back(
      {"email", nullptr,
       std::make_shared<const wr::Redactor>(redactor(wr::ActionKind::mask, keys))});
  CHECK(error_code_of([&] { wr::make_format(unknown)->prepare(input); }) == ward::ErrorCode::usage);
}

TEST_CASE("redact format json: by field path and every string value, spacing kept") {
  const Keys keys;
  const std::string input =
      "{\"user\": {\"email\": \"alice@example.com\", \"age\": 41}, \"ip\":\"10.0.0.7\", "
      "\"items\": [{\"email\": \"bob@example.com\"}], \"n\": 4111111111111111}\n"
      "{\"note\":\"line\\nalice@example.com \\\"quoted\\\"\",\"user\":{\"email\":null}}\n";
  const auto all = redact_text(scan_all(wr::InputFormat::jsonl, wr::ActionKind::mask, keys), input);
  CHECK(all ==
        "{\"user\": {\"email\": \"*****************\", \"age\": 41}, \"ip\":\"********\", "
        "\"items\": [{\"email\": \"***************\"}], \"n\": 4111111111111111}\n"
        "{\"note\":\"line\\n***************** \\\"quoted\\\"\",\"user\":{\"email\":null}}\n");
  for (const auto& line : {all.substr(0, all.find('\n')), all.substr(all.find('\n') + 1)}) {
    if (!line.empty()) CHECK_NOTHROW(nlohmann::json::parse(line));
  }

  wr::FileRedaction fields;
  fields.format = wr::InputFormat::jsonl;
  fields.rules.push_back(
      {"$.user.email", nullptr,
       std::make_shared<const wr::Redactor>(redactor(wr::ActionKind::drop, keys))});
  fields.rules.push_back({"$.items[0].email", nullptr,
                          std::make_shared<const wr::Redactor>(
                              redactor(wr::ActionKind::replace, keys, "a \"quoted\" value"))});
  wr::Stats stats;
  const auto out = redact_text(fields, input, &stats);
  CHECK(out ==
        "{\"user\": {\"email\": null, \"age\": 41}, \"ip\":\"10.0.0.7\", "
        "\"items\": [{\"email\": \"a \\\"quoted\\\" value\"}], \"n\": 4111111111111111}\n"
        "{\"note\":\"line\\nalice@example.com \\\"quoted\\\"\",\"user\":{\"email\":null}}\n");
  CHECK(stats.fields.at("$.user.email") == 1);
  CHECK(stats.fields.at("$.items[*].email") == 1);

  wr::FileRedaction document = scan_all(wr::InputFormat::json, wr::ActionKind::partial, keys);
  CHECK(redact_text(document, "[\n  \"x 4111111111111111\",\n  {\"k\": []}\n]\n") ==
        "[\n  \"x ************1111\",\n  {\"k\": []}\n]\n");
  CHECK(error_code_of([&] { (void)redact_text(document, "{\"a\": \"alice@example.com\""); }) ==
        ward::ErrorCode::usage);
}

// Found by tests/fuzz/fuzz_redact_formats: the chunk boundary counted quotes while the parser
// takes a quote inside an unquoted cell literally, so a malformed file was cut mid-record and
// what got redacted depended on the read sizes.
TEST_CASE("redact format csv: chunks end where the parser ends records") {
  const Keys keys;
  const auto csv = wr::make_format(scan_all(wr::InputFormat::csv, wr::ActionKind::mask, keys));
  const std::string stray = "a,b\n1,x\"y\n2,\"open\n3,z\n";
  CHECK(csv->boundary(stray, false) == std::string("a,b\n1,x\"y\n").size());
  CHECK(csv->boundary(stray, true) == stray.size());
  CHECK(csv->boundary("a,\"b\nc\"\nd", false) == std::string("a,\"b\nc\"\n").size());
  CHECK(csv->boundary("a,b\r", false) == 0);  // the LF of a CRLF may be in the next read
  CHECK(csv->boundary("a\rb\rc", false) == 4);
  CHECK(csv->boundary("a,b", false) == 0);
}

// Found by tests/fuzz/fuzz_redact_formats: the CSV header was read from the first read(),
// which a pipe may cut short, so `--column` saw a truncated header.
TEST_CASE("redact file: a CSV header split across pipe reads is read whole") {
  const Keys keys;
  ward::testing::TempDir dir;
  const auto fifo = (dir.path() / "in.csv").string();
  const auto output = (dir.path() / "out.csv").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer([&] {
    std::ofstream out(fifo, std::ios::binary);
    out << "id,em" << std::flush;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    out << "ail\n1,alice@example.com\n" << std::flush;
  });
  wr::FileRedaction redaction;
  redaction.format = wr::InputFormat::csv;
  redaction.rules.push_back(
      {"email", nullptr,
       std::make_shared<const wr::Redactor>(redactor(wr::ActionKind::mask, keys))});
  wr::FileIo io;
  io.input = fifo;
  io.output = output;
  const auto result = wr::process_file(redaction, io);
  writer.join();
  CHECK(result.changed);
  std::ifstream in(output, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(written == "id,email\n1,*****************\n");
}

// Found by tests/fuzz/fuzz_redact_formats: concatenated PEM files put one key's END and the
// next key's BEGIN on one line; the chunk was cut before that line, so the first key's END was
// in the next chunk and the key was never found.
TEST_CASE("redact format text: a chunk never ends inside a PEM block") {
  const Keys keys;
  const auto text = wr::make_format(scan_all(wr::InputFormat::text, wr::ActionKind::mask, keys));
  const std::string two =
      "log line\n-----BEGIN PRIVATE KEY-----\nMIIB\n"
      "-----END PRIVATE KEY----------BEGIN PRIVATE KEY-----\nMIIC\n";
  CHECK(text->boundary(two, false) == std::string("log line\n").size());
  const auto whole = two + "-----END PRIVATE KEY-----\nnext\n";
  CHECK(text->boundary(whole, false) == whole.size());
}
