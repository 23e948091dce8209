#pragma once

#include <string>
#include <vector>

namespace ward::cli::junit {

// JUnit XML as CI systems (GitLab, Jenkins, GitHub test reporters) read it. Shared by every
// command that writes a test report: `check … --junit FILE`, `audit report --format junit`.

struct Problem {
  std::string type;     // a stable id (finding id), shown as the failure's type
  std::string message;  // one line
  std::string text;     // details (evidence), element body
};

struct TestCase {
  std::string name;       // one target, one credential, one policy item
  std::string classname;  // the group: "ward.check.tls", "ward.audit.credentials"
  double seconds = 0;
  std::vector<Problem> failures;  // one per finding at or above the threshold
  std::vector<Problem> errors;    // the test could not be run (unreachable target)
  std::string system_out;         // facts worth keeping next to the verdict
};

struct Suite {
  std::string name;
  std::string timestamp;  // RFC 3339 UTC
  std::vector<TestCase> cases;
};

// The document: <testsuites> holding each suite with its counts. Characters XML 1.0 cannot
// carry are dropped; everything else is escaped.
[[nodiscard]] std::string to_xml(const std::vector<Suite>& suites);

// Writes `content` to `path` through a temporary file in the same directory and a rename, so a
// CI job never reads half a report. Throws Error(usage) when the file cannot be written.
void write_file(const std::string& path, const std::string& content);

}  // namespace ward::cli::junit
