#include "junit.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ward/error.hpp"
#include "ward/util/xml.hpp"

namespace ward::cli::junit {
namespace {

std::string seconds_text(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", seconds);
  return buf;
}

void problem(std::ostringstream& out, const char* element, const Problem& p) {
  out << "      <" << element << " type=\"" << util::xml_escape(p.type) << "\" message=\""
      << util::xml_escape(p.message) << "\"";
  if (p.text.empty()) {
    out << "/>\n";
  } else {
    out << ">" << util::xml_escape_text(p.text) << "</" << element << ">\n";
  }
}

}  // namespace

std::string to_xml(const std::vector<Suite>& suites) {
  std::size_t tests = 0;
  std::size_t failures = 0;
  std::size_t errors = 0;
  double seconds = 0;
  for (const auto& suite : suites) {
    for (const auto& c : suite.cases) {
      ++tests;
      failures += c.failures.empty() ? 0 : 1;
      errors += c.errors.empty() ? 0 : 1;
      seconds += c.seconds;
    }
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << R"(<testsuites name="ward" tests=")" << tests << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" time=\"" << seconds_text(seconds) << "\">\n";
  for (const auto& suite : suites) {
    std::size_t suite_failures = 0;
    std::size_t suite_errors = 0;
    double suite_seconds = 0;
    for (const auto& c : suite.cases) {
      suite_failures += c.failures.empty() ? 0 : 1;
      suite_errors += c.errors.empty() ? 0 : 1;
      suite_seconds += c.seconds;
    }
    out << "  <testsuite name=\"" << util::xml_escape(suite.name) << "\" tests=\""
        << suite.cases.size() << "\" failures=\"" << suite_failures << "\" errors=\""
        << suite_errors << R"(" skipped="0" time=")" << seconds_text(suite_seconds) << "\"";
    if (!suite.timestamp.empty())
      out << " timestamp=\"" << util::xml_escape(suite.timestamp) << "\"";
    out << ">\n";
    for (const auto& c : suite.cases) {
      out << "    <testcase name=\"" << util::xml_escape(c.name) << "\" classname=\""
          << util::xml_escape(c.classname) << "\" time=\"" << seconds_text(c.seconds) << "\"";
      if (c.failures.empty() && c.errors.empty() && c.system_out.empty()) {
        out << "/>\n";
        continue;
      }
      out << ">\n";
      for (const auto& e : c.errors) problem(out, "error", e);
      for (const auto& f : c.failures) problem(out, "failure", f);
      if (!c.system_out.empty()) {
        out << "      <system-out>" << util::xml_escape_text(c.system_out) << "</system-out>\n";
      }
      out << "    </testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

void write_file(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path temp = target.parent_path() /
                        ("." + target.filename().string() + ".tmp" + std::to_string(::getpid()));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) {
      const int err = errno;
      std::error_code ignored;
      fs::remove(temp, ignored);
      fail(ErrorCode::usage, "cannot write the report " + path + ": " + std::strerror(err),
           "check that the directory exists and is writable");
    }
  }
  std::error_code ec;
  fs::rename(temp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    fail(ErrorCode::usage, "cannot write the report " + path + ": " + ec.message(),
         "check that the directory exists and is writable");
  }
}

}  // namespace ward::cli::junit
