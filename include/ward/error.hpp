#pragma once

#include <stdexcept>
#include <string>

namespace ward {

// The exit-code contract of ward(1). Each error carries one of these; main maps it to the
// process exit status, so a code deep in the core decides what a script sees.
enum class ErrorCode : int {
  findings = 1,     // a check or verification found problems
  usage = 2,        // bad flags, malformed input or spec
  not_found = 3,    // no such credential, namespace, version, object
  auth = 4,         // cannot unlock, or an object failed authentication
  conflict = 5,     // a concurrent writer won; retry
  unreachable = 6,  // the store (or a network peer the command needs) cannot be reached
  internal = 70,    // a bug or an unexpected library failure
};

// The one error type of ward, thrown across layers and caught once in main.
// Messages never contain secret values or credential/namespace names beyond what the
// user typed on this invocation.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string hint = {})
      : std::runtime_error(message), m_code(code), m_hint(std::move(hint)) {}

  [[nodiscard]] ErrorCode code() const noexcept { return m_code; }
  [[nodiscard]] int exit_code() const noexcept { return static_cast<int>(m_code); }
  [[nodiscard]] const std::string& hint() const noexcept { return m_hint; }

 private:
  ErrorCode m_code;
  std::string m_hint;
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message, std::string hint = {}) {
  throw Error(code, message, std::move(hint));
}

}  // namespace ward
