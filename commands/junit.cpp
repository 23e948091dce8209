#include "junit.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ward/error.hpp"

namespace ward::cli::junit {
namespace {

// Escapes for attribute values and text; drops control characters XML 1.0 forbids (tab,
// newline and carriage return are allowed).
std::string escape(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  for (const char c : in) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\t':
        out += "&#9;";
        break;
      default:
        if (u < 0x20) break;
        out += c;
    }
  }
  return out;
}

// Element text keeps its line breaks readable.
std::string escape_text(const std::string& in) {
  std::string out;
  for (const char c : in) {
    if (c == '\n') {
      out += '\n';
    } else {
      out += escape(std::string(1, c));
    }
  }
  return out;
}

std::string seconds_text(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", seconds);
  return buf;
}

void problem(std::ostringstream& out, const char* element, const Problem& p) {
  out << "      <" << element << " type=\"" << escape(p.type) << "\" message=\""
      << escape(p.message) << "\"";
  if (p.text.empty()) {
    out << "/>\n";
  } else {
    out << ">" << escape_text(p.text) << "</" << element << ">\n";
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
    out << "  <testsuite name=\"" << escape(suite.name) << "\" tests=\"" << suite.cases.size()
        << "\" failures=\"" << suite_failures << "\" errors=\"" << suite_errors
        << R"(" skipped="0" time=")" << seconds_text(suite_seconds) << "\"";
    if (!suite.timestamp.empty()) out << " timestamp=\"" << escape(suite.timestamp) << "\"";
    out << ">\n";
    for (const auto& c : suite.cases) {
      out << "    <testcase name=\"" << escape(c.name) << "\" classname=\"" << escape(c.classname)
          << "\" time=\"" << seconds_text(c.seconds) << "\"";
      if (c.failures.empty() && c.errors.empty() && c.system_out.empty()) {
        out << "/>\n";
        continue;
      }
      out << ">\n";
      for (const auto& e : c.errors) problem(out, "error", e);
      for (const auto& f : c.failures) problem(out, "failure", f);
      if (!c.system_out.empty()) {
        out << "      <system-out>" << escape_text(c.system_out) << "</system-out>\n";
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
