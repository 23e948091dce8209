#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "ward/vault/transfer.hpp"

namespace wv = ward::vault;
using ward::ErrorCode;
using ward::crypto::SecretBytes;
using ward::testing::error_code_of;

namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ward::Error& e) {
    return e.what();
  }
  FAIL("no error thrown");
  return {};
}

std::vector<wv::ImportItem> dotenv(std::string_view text) {
  return wv::parse_dotenv(SecretBytes::from(text), "app.env", {});
}

std::string secret_of(const wv::ImportItem& item) {
  return std::string(item.secrets.at(item.secret_field).reveal());
}

}  // namespace

TEST_CASE(".env: quoting, comments, export, multi-line values") {
  const auto items = dotenv(
      "# a comment\n"
      "\n"
      "export DB_PASSWORD=\"s3cr3t \\\"q\\\" # kept\" # comment\n"
      "API_TOKEN = abc123  # trailing comment\n"
      "HASH=abc#def\n"
      "LITERAL='a$b\\n'\n"
      "MULTI=\"one\n"
      "two\"\r\n"
      "EMPTY_COMMENT=x #\n");
  REQUIRE(items.size() == 6);
  CHECK(items[0].name == "DB_PASSWORD");
  CHECK(items[0].type == "generic");
  CHECK(items[0].secret_field == "secret");
  CHECK(secret_of(items[0]) == "s3cr3t \"q\" # kept");
  CHECK(items[0].origin == "app.env:3");
  CHECK(secret_of(items[1]) == "abc123");
  CHECK(secret_of(items[2]) == "abc#def");
  CHECK(secret_of(items[3]) == "a$b\\n");
  CHECK(secret_of(items[4]) == "one\ntwo");
  CHECK(items[5].origin == "app.env:9");  // line numbers count the lines inside MULTI
  CHECK(secret_of(items[5]) == "x");
}

TEST_CASE(".env: a prefix and a type apply to every key") {
  wv::ImportDefaults defaults;
  defaults.type = "api-key";
  defaults.prefix = "app/";
  const auto items = wv::parse_dotenv(SecretBytes::from("K=v\n"), "x.env", defaults);
  REQUIRE(items.size() == 1);
  CHECK(items[0].name == "app/K");
  CHECK(items[0].secret_field == "token");
}

TEST_CASE(".env: malformed lines name the file and line, never the value") {
  CHECK(message_of([] { dotenv("A=1\nB\n"); }) == "app.env:2: expected '=' after the key B");
  CHECK(message_of([] { dotenv("A=1\n=x\n"); }).starts_with("app.env:2: expected KEY=VALUE"));
  CHECK(message_of([] { dotenv("A=1\nA=2\n"); }) == "app.env:2: the key A is also on line 1");
  CHECK(message_of([] { dotenv("A=\"Secret-Value\n"); }) ==
        "app.env:1: the double-quoted value is never closed");
  CHECK(message_of([] { dotenv("A='Secret-Value' tail\n"); }) ==
        "app.env:1: unexpected text after the closing quote");
  CHECK(message_of([] { dotenv("A=\"x\\q\"\n"); }).starts_with("app.env:1: unknown escape \\q"));
  CHECK(error_code_of([] { dotenv("1A=x"); }) == ErrorCode::usage);
}

TEST_CASE("JSON: a flat object of strings, as sops -d prints") {
  const auto items =
      wv::parse_json_import(SecretBytes::from(R"({"A": "one", "B": "tw\"o"})"), "s.json", {});
  REQUIRE(items.size() == 2);
  CHECK(items[0].name == "A");
  CHECK(secret_of(items[1]) == "tw\"o");
  CHECK(message_of([] {
          wv::parse_json_import(SecretBytes::from(R"({"A": {"x": 1}})"), "s.json", {});
        }).starts_with("s.json: 'A' is not a string"));
}

TEST_CASE("JSON: syntax errors give line and column and never quote the text") {
  const auto message = message_of([] {
    wv::parse_json_import(SecretBytes::from("{\"A\": \"ok\",\n \"B\": \"Leaky-Secret"), "s.json",
                          {});
  });
  CHECK(message.starts_with("s.json:2:"));
  CHECK(message.find("Leaky") == std::string::npos);
}

TEST_CASE("export and import round-trip every field, secret and policy") {
  wv::ExportEntry entry;
  entry.record.name = "db/prod";
  entry.record.type = "postgres";
  entry.record.secret_field = "password";
  entry.record.fields = {{"host", "db.internal"}, {"port", "5432"}};
  entry.record.secrets.emplace("password", SecretBytes::from("pw\"\\\n\u00e9"));
  entry.record.secrets.emplace("sslkey", SecretBytes::from("KEY"));
  entry.record.current_secret_names = {"password", "sslkey"};
  entry.record.rotate_every = std::chrono::hours(24 * 90);
  entry.record.generation_policy = "length=20";
  entry.record.current_version = 3;
  entry.id = "abc";
  std::vector<wv::ExportEntry> entries;
  entries.push_back(std::move(entry));
  const auto revealed = wv::write_export({"default", "2026-12-01T00:00:00Z", true}, entries);
  CHECK(revealed.reveal().starts_with("{\n  \"schema\": \"ward.cred.export/v1\""));
  const auto items = wv::parse_json_import(revealed, "x.json", {});
  REQUIRE(items.size() == 1);
  const auto& item = items[0];
  CHECK(item.name == "db/prod");
  CHECK(item.type == "postgres");
  CHECK(item.secret_field == "password");
  CHECK(item.fields == entries[0].record.fields);
  CHECK(item.secrets.at("password").reveal() == "pw\"\\\n\u00e9");
  CHECK(item.secrets.at("sslkey").reveal() == "KEY");
  CHECK(item.rotate_every == std::chrono::seconds(90 * 86400));
  CHECK(item.generation_policy == "length=20");
  wv::validate_import(items);

  // Without --reveal: names only, and importing it says why it cannot.
  const auto hidden = wv::write_export({"default", "2026-12-01T00:00:00Z", false}, entries);
  CHECK(hidden.reveal().find("KEY") == std::string::npos);
  CHECK(hidden.reveal().find("pw") == std::string::npos);
  CHECK(hidden.reveal().find("\"sslkey\"") != std::string::npos);
  CHECK(message_of([&] {
          wv::parse_json_import(hidden, "x.json", {});
        }).find("exported without --reveal") != std::string::npos);
}

TEST_CASE("JSON: schema and entries are checked, each problem with its place") {
  const auto parse = [](std::string_view text) {
    return wv::parse_json_import(SecretBytes::from(text), "x.json", {});
  };
  CHECK(message_of([&] {
          parse(R"({"schema": "ward.cred.export/v9", "credentials": []})");
        }).starts_with("x.json: unsupported schema"));
  CHECK(message_of([&] { parse(R"({"schema": "ward.cred.export/v1"})"); }) ==
        "x.json: 'credentials' must be an array");
  CHECK(message_of([&] {
          parse(R"({"schema": "ward.cred.export/v1", "credentials": [{"name": "a"}]})");
        }) == "x.json: credentials[0]: 'type' is missing (a)");
  CHECK(message_of([&] {
          parse(R"({"schema": "ward.cred.export/v1", "credentials": [
            {"name": "a", "type": "generic", "fields": {"port": 5432}, "secrets": {"secret": "x"}}]})");
        }) == "x.json: credentials[0]: 'fields.port' must be a string");
  const auto items = parse(R"({"schema": "ward.cred.export/v1", "credentials": [
      {"name": "a", "type": "bogus", "secrets": {"secret": "x"}},
      {"name": "a", "type": "generic", "secrets": {"secret": ""}},
      {"name": "b", "type": "generic", "fields": {"password": "p"}, "secrets": {"secret": "x"}}]})");
  const auto message = message_of([&] { wv::validate_import(items); });
  CHECK(message.starts_with("x.json: credentials[0]: unknown credential type 'bogus'"));
  CHECK(message.find("credentials[1]: the secret of a is empty") != std::string::npos);
  CHECK(message.find("credentials[1]: a is also at x.json: credentials[0]") != std::string::npos);
  CHECK(message.find("credentials[2]: 'password' holds a secret") != std::string::npos);
}

TEST_CASE("JSON: a number too large for a double is a usage error, the number not quoted") {
  // Found by fuzz_import: nlohmann throws out_of_range, not parse_error, for it.
  const auto message = message_of([] {
    wv::parse_json_import(SecretBytes::from(R"({"A": 33333333333333333e33333333333})"), "n.json",
                          {});
  });
  CHECK(message == "n.json: not valid JSON (a number out of range)");
}
