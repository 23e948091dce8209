// A user hook for targets ward has no driver for: the credential's `rotate_command` field, run
// by /bin/sh with WARD_ROTATE_ACTION (change, verify, retire, revoke) and the credential's name,
// type and version in its environment, and the secret on its standard input — never on its
// command line, never in its environment. Exit 0 means done (for verify: accepted), 1 for
// verify means refused; anything else is a failure.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "ward/check/connect.hpp"
#include "ward/crypto/password.hpp"
#include "ward/error.hpp"
#include "ward/rotate/driver.hpp"
#include "ward/util/unique_fd.hpp"

extern char** environ;  // NOLINT: POSIX

namespace ward::rotate {
namespace {

struct HookResult {
  int status = -1;  // exit status; -1 when killed
  std::string stderr_tail;
  bool timed_out = false;
};

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (const auto newline = text.rfind('\n'); newline != std::string::npos)
    text = text.substr(newline + 1);
  if (text.size() > 200) text.resize(200);
  return text;
}

HookResult run_hook(const vault::CredentialVersion& credential, const std::string& action,
                    const crypto::SecretBytes& input, std::chrono::milliseconds timeout) {
  const auto command = check::field_or(credential, "rotate_command");
  std::array<int, 2> in_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  if (::pipe2(in_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    fail(ErrorCode::internal, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  util::UniqueFd in_read(in_pipe[0]);
  util::UniqueFd in_write(in_pipe[1]);
  util::UniqueFd err_read(err_pipe[0]);
  util::UniqueFd err_write(err_pipe[1]);

  // The child's environment: ours without the means to unlock the store, plus the hook's
  // variables. Built before fork so the child only calls async-signal-safe functions.
  std::vector<std::string> variables = {"WARD_ROTATE_ACTION=" + action,
                                        "WARD_CRED_NAME=" + credential.name,
                                        "WARD_CRED_TYPE=" + credential.type,
                                        "WARD_CRED_VERSION=" + std::to_string(credential.version)};
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view existing(*e);
    if (existing.starts_with("WARD_")) continue;
    envp.push_back(*e);
  }
  for (auto& variable : variables) envp.push_back(variable.data());
  envp.push_back(nullptr);
  std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::string script = command;
  std::array<char*, 4> argv{shell.data(), dash_c.data(), script.data(), nullptr};

  const pid_t pid = ::fork();
  if (pid < 0) fail(ErrorCode::internal, std::string("cannot fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(in_read.get(), STDIN_FILENO);
    ::dup2(err_write.get(), STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, STDOUT_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  in_read.reset();
  err_write.reset();

  HookResult result;
  // A hook that exits without reading its input must not kill ward with SIGPIPE.
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  std::size_t written = 0;
  while (written < input.size()) {
    const auto n = ::write(in_write.get(), input.data() + written, input.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  in_write.reset();
  ::sigaction(SIGPIPE, &previous, nullptr);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string err;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fd{err_read.get(), POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    std::array<char, 4096> buffer{};
    const auto n = ::read(err_read.get(), buffer.data(), buffer.size());
    if (n <= 0) break;
    err.append(buffer.data(), static_cast<std::size_t>(n));
    if (err.size() > 65536) err.erase(0, err.size() - 65536);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.stderr_tail = last_line(err);
  return result;
}

std::string describe_failure(const std::string& action, const HookResult& result) {
  std::string text = "the rotate_command hook (" + action + ") ";
  if (result.timed_out) {
    text += "did not finish in time and was killed";
  } else if (result.status < 0) {
    text += "was killed by a signal";
  } else if (result.status == 127) {
    text += "could not be run (exit 127)";
  } else {
    text += "failed with exit status " + std::to_string(result.status);
  }
  if (!result.stderr_tail.empty()) text += ": " + result.stderr_tail;
  return text;
}

const crypto::SecretBytes& primary_secret(const vault::CredentialVersion& version) {
  const auto found = version.secrets.find(version.secret_field);
  if (found == version.secrets.end()) {
    fail(ErrorCode::usage, "version " + std::to_string(version.version) + " of '" + version.name +
                               "' has no " + version.secret_field + " secret");
  }
  return found->second;
}

class CommandDriver final : public Driver {
 public:
  [[nodiscard]] std::string name() const override { return "command"; }

  [[nodiscard]] std::string describe(
      const vault::CredentialVersion& /*credential*/) const override {
    return "the rotate_command hook";
  }

  NewSecret generate(const vault::CredentialVersion& current, const std::string& policy) override {
    NewSecret next;
    next.secrets[current.secret_field] =
        crypto::generate_secret(crypto::GenerationPolicy::parse(policy));
    return next;
  }

  void change(const vault::CredentialVersion& /*current*/, const vault::CredentialVersion& next,
              const TargetContext& target) override {
    const auto result = run_hook(next, "change", primary_secret(next), hook_timeout(target));
    if (result.status == 0) return;
    // A hook that was killed may have changed the target already; one that exited non-zero
    // says it did not (the hook's contract in ward-cred(1)).
    throw ChangeError(Error(result.timed_out ? ErrorCode::unreachable : ErrorCode::findings,
                            describe_failure("change", result)),
                      result.timed_out || result.status < 0);
  }

  Acceptance accepts(const vault::CredentialVersion& candidate,
                     const TargetContext& target) override {
    // Where ward can check the secret itself over the credential's real path, it does.
    if (candidate.type == "postgres") return make_postgres_driver()->accepts(candidate, target);
    if (candidate.type == "ssh") return make_ssh_key_driver()->accepts(candidate, target);
    const auto result =
        run_hook(candidate, "verify", primary_secret(candidate), hook_timeout(target));
    if (result.status == 0) return Acceptance::accepted;
    if (result.status == 1) return Acceptance::refused;
    fail(ErrorCode::unreachable, describe_failure("verify", result));
  }

  void retire(const vault::CredentialVersion& /*current*/, const vault::CredentialVersion& old,
              const TargetContext& target) override {
    const auto result = run_hook(old, "retire", primary_secret(old), hook_timeout(target));
    if (result.status != 0) fail(ErrorCode::findings, describe_failure("retire", result));
  }

  void disable(const vault::CredentialVersion& current, const TargetContext& target) override {
    const auto result = run_hook(current, "revoke", primary_secret(current), hook_timeout(target));
    if (result.status != 0) fail(ErrorCode::findings, describe_failure("revoke", result));
  }

 private:
  // Hooks run their own clients; they get longer than one connection attempt.
  static std::chrono::milliseconds hook_timeout(const TargetContext& target) {
    return std::max(target.timeout * 6, std::chrono::milliseconds(std::chrono::seconds(60)));
  }
};

}  // namespace

std::unique_ptr<Driver> make_command_driver() { return std::make_unique<CommandDriver>(); }

}  // namespace ward::rotate
