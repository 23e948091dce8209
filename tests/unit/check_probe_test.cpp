#include <catch2/catch.hpp>
#include <fstream>

#include "junit.hpp"
#include "test_support.hpp"
#include "ward/check/probe.hpp"

namespace wc = ward::check;
namespace junit = ward::cli::junit;

TEST_CASE("check: severities and statuses parse and print by name") {
  for (const auto* name : {"info", "low", "medium", "high", "critical"}) {
    const auto severity = wc::parse_severity(name);
    REQUIRE(severity);
    CHECK(wc::to_string(*severity) == name);
  }
  CHECK_FALSE(wc::parse_severity("High"));
  CHECK_FALSE(wc::parse_severity(""));
  CHECK(wc::Severity::critical > wc::Severity::high);
  CHECK(wc::Severity::low > wc::Severity::info);
  for (const auto* name : {"pass", "warn", "fail", "error"}) {
    const auto status = wc::parse_status(name);
    REQUIRE(status);
    CHECK(wc::to_string(*status) == name);
  }
  CHECK_FALSE(wc::parse_status("ok"));
}

TEST_CASE("check: status follows the worst finding; an error stays an error") {
  wc::Probe probe;
  probe.settle();
  CHECK(probe.status == wc::Status::pass);
  probe.add("tls.protocol.tls13", wc::Severity::info, "TLS 1.3 offered");
  probe.settle();
  CHECK(probe.status == wc::Status::pass);
  probe.add("tls.cert.expiring", wc::Severity::low, "expires in 10 days");
  probe.settle();
  CHECK(probe.status == wc::Status::warn);
  probe.add("tls.cert.expired", wc::Severity::high, "expired");
  probe.settle();
  CHECK(probe.status == wc::Status::fail);
  CHECK(*probe.worst() == wc::Severity::high);

  wc::Probe down;
  down.set_error("tls.connect.refused", "connection refused");
  down.settle();
  CHECK(down.status == wc::Status::error);
  CHECK(down.error == "connection refused");
  REQUIRE(down.findings.size() == 1);
  CHECK(down.findings[0].id == "tls.connect.refused");
}

TEST_CASE("check: --fail-on threshold decides failure") {
  wc::Probe probe;
  probe.add("a", wc::Severity::low, "low one");
  probe.add("b", wc::Severity::medium, "medium one");
  probe.settle();
  CHECK(wc::fails(probe, wc::Severity::low));
  CHECK(wc::fails(probe, wc::Severity::medium));
  CHECK_FALSE(wc::fails(probe, wc::Severity::high));
  CHECK(wc::findings_at_or_above(probe, wc::Severity::medium).size() == 1);
  CHECK(wc::findings_at_or_above(probe, wc::Severity::info).size() == 2);

  wc::Probe down;
  down.set_error("x.timeout", "timed out");
  // An incomplete check fails whatever the threshold: nothing was proven about the target.
  CHECK(wc::fails(down, wc::Severity::critical));
}

TEST_CASE("check: a result survives its JSON form") {
  wc::Probe probe;
  probe.target = "db.example:5432";
  probe.kind = "tls";
  probe.checked_at = "2026-11-23T17:00:00Z";
  probe.duration = std::chrono::milliseconds(42);
  probe.facts = {{"protocol", "TLSv1.3"}, {"protocols", {"TLSv1.2", "TLSv1.3"}}};
  probe.add("tls.cert.expiring", wc::Severity::medium, "expires soon", {{"days_left", 3}});
  probe.settle();
  const auto json = wc::to_json(probe);
  CHECK(json["status"] == "fail");
  CHECK(json["findings"][0]["severity"] == "medium");
  const auto back = wc::probe_from_json(json);
  CHECK(back.target == probe.target);
  CHECK(back.kind == "tls");
  CHECK(back.status == wc::Status::fail);
  CHECK(back.duration.count() == 42);
  CHECK(back.facts == probe.facts);
  REQUIRE(back.findings.size() == 1);
  CHECK(back.findings[0].evidence["days_left"] == 3);
  CHECK(wc::to_json(back) == json);

  CHECK(ward::testing::error_code_of([] { (void)wc::probe_from_json(nlohmann::json::array()); }) ==
        ward::ErrorCode::usage);
  auto bad = json;
  bad["findings"][0]["severity"] = "severe";
  CHECK(ward::testing::error_code_of([&] { (void)wc::probe_from_json(bad); }) ==
        ward::ErrorCode::usage);
  bad = json;
  bad.erase("target");
  CHECK(ward::testing::error_code_of([&] { (void)wc::probe_from_json(bad); }) ==
        ward::ErrorCode::usage);
}

TEST_CASE("junit: counts, escaping, one failure element per problem") {
  junit::Suite suite{"ward check tls", "2026-11-23T17:00:00Z", {}};
  junit::TestCase ok{"good:443", "ward.check.tls", 0.05, {}, {}, ""};
  junit::TestCase bad{"bad<&>\"host:443", "ward.check.tls", 0.1, {}, {}, "protocol: TLSv1\n"};
  bad.failures.push_back({"tls.protocol.legacy", "[high] TLS 1.0 offered", "{\"v\": 1}"});
  bad.failures.push_back({"tls.cert.expired", "[high] expired\x01", ""});
  junit::TestCase down{"down:1", "ward.check.tls", 0, {}, {}, ""};
  down.errors.push_back({"tls.connect.refused", "connection refused", ""});
  suite.cases = {ok, bad, down};
  const auto xml = junit::to_xml({suite});
  CHECK(xml.find("<testsuites name=\"ward\" tests=\"3\" failures=\"1\" errors=\"1\"") !=
        std::string::npos);
  CHECK(xml.find("name=\"bad&lt;&amp;&gt;&quot;host:443\"") != std::string::npos);
  CHECK(xml.find("<testcase name=\"good:443\" classname=\"ward.check.tls\" time=\"0.050\"/>") !=
        std::string::npos);
  CHECK(xml.find("type=\"tls.protocol.legacy\"") != std::string::npos);
  CHECK(xml.find("type=\"tls.cert.expired\" message=\"[high] expired\"/>") != std::string::npos);
  CHECK(xml.find("<error type=\"tls.connect.refused\"") != std::string::npos);
  CHECK(xml.find('\x01') == std::string::npos);
  CHECK(xml.find("<system-out>protocol: TLSv1\n</system-out>") != std::string::npos);
  // Every opened element is closed: a crude but effective balance check.
  std::size_t opened = 0;
  std::size_t closed = 0;
  for (std::size_t i = xml.find("<testcase"); i != std::string::npos;
       i = xml.find("<testcase", i + 1))
    ++opened;
  for (std::size_t i = xml.find("</testcase>"); i != std::string::npos;
       i = xml.find("</testcase>", i + 1))
    ++closed;
  CHECK(opened == 3);
  CHECK(closed == 2);  // the passing case is self-closing

  ward::testing::TempDir dir;
  const auto path = (dir.path() / "report.xml").string();
  junit::write_file(path, xml);
  std::ifstream in(path);
  const std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(back == xml);
  CHECK(ward::testing::error_code_of([&] {
          junit::write_file((dir.path() / "missing" / "r.xml").string(), xml);
        }) == ward::ErrorCode::usage);
}
