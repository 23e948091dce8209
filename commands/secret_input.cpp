#include "secret_input.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ward/error.hpp"

namespace ward::cli {

void add_secret_source_options(CLI::App& command, SecretSource& source) {
  command.add_flag("--secret-stdin", source.from_stdin, "Read the secret from standard input");
  command.add_option("--secret-file", source.file, "Read the secret from a file");
  command.add_option("--secret-env", source.env,
                     "Read the secret from the named environment variable");
  command.add_flag("--prompt", source.prompt, "Ask for the secret on the terminal (no echo)");
  command.add_flag("--generate", source.generate, "Generate the secret with the CSPRNG");
  command.add_option(
      "--policy", source.policy,
      "Generation policy: length=32,classes=ulds,exclude=… or default|alnum|hex|pin");
}

int count_sources(const SecretSource& source) {
  return static_cast<int>(source.from_stdin) + static_cast<int>(!source.file.empty()) +
         static_cast<int>(!source.env.empty()) + static_cast<int>(source.prompt) +
         static_cast<int>(source.generate);
}

void strip_newline(crypto::SecretBytes& secret) {
  auto size = secret.size();
  if (size > 0 && secret.data()[size - 1] == '\n') --size;
  if (size > 0 && secret.data()[size - 1] == '\r') --size;
  if (size != secret.size()) {
    crypto::SecretBytes trimmed(secret.data(), size);
    secret = std::move(trimmed);
  }
}

crypto::SecretBytes read_all_fd(int fd, const std::string& what) {
  crypto::SecretBytes out;
  std::array<std::uint8_t, 4096> chunk{};
  for (;;) {
    const auto n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(ErrorCode::usage, "cannot read " + what + ": " + std::strerror(errno));
    if (n == 0) break;
    out.append(std::span<const std::uint8_t>(chunk.data(), static_cast<std::size_t>(n)));
    if (out.size() > (1U << 20)) fail(ErrorCode::usage, what + " is larger than 1 MiB");
  }
  std::memset(chunk.data(), 0, chunk.size());
  return out;
}

crypto::SecretBytes read_secret_file(const std::string& path, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(errno == ENOENT ? ErrorCode::not_found : ErrorCode::usage,
         "cannot read " + what + " from " + path + ": " + std::strerror(errno));
  }
  auto secret = read_all_fd(fd, what);
  ::close(fd);
  return secret;
}

crypto::SecretBytes prompt_secret(const std::string& prompt, bool confirm) {
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) {
    fail(ErrorCode::usage, "cannot prompt for a secret: no terminal",
         "pass it with --secret-stdin, --secret-file or --secret-env");
  }
  const auto ask = [&](const std::string& text) {
    termios saved{};
    const bool is_terminal = ::tcgetattr(tty, &saved) == 0;
    if (is_terminal) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    (void)::write(tty, text.data(), text.size());
    crypto::SecretBytes line;
    std::uint8_t c = 0;
    while (::read(tty, &c, 1) == 1 && c != '\n') line.append(std::span<const std::uint8_t>(&c, 1));
    c = 0;
    if (is_terminal) ::tcsetattr(tty, TCSAFLUSH, &saved);
    (void)::write(tty, "\n", 1);
    strip_newline(line);
    return line;
  };
  auto first = ask(prompt);
  if (confirm) {
    const auto second = ask("Repeat to confirm: ");
    if (!first.equals(second)) {
      ::close(tty);
      fail(ErrorCode::usage, "the two entries differ");
    }
  }
  ::close(tty);
  if (first.empty()) fail(ErrorCode::usage, "empty secret");
  return first;
}

crypto::SecretBytes read_secret(const SecretSource& source, const std::string& what) {
  crypto::SecretBytes secret;
  if (source.from_stdin) {
    secret = read_all_fd(STDIN_FILENO, what + " on standard input");
    strip_newline(secret);
  } else if (!source.file.empty()) {
    secret = read_secret_file(source.file, what);
    strip_newline(secret);
  } else if (!source.env.empty()) {
    const char* value = std::getenv(source.env.c_str());
    if (value == nullptr)
      fail(ErrorCode::usage, "environment variable " + source.env + " is not set");
    secret = crypto::SecretBytes::from(value);
  } else if (source.prompt) {
    secret = prompt_secret("Enter " + what + ": ", /*confirm=*/true);
  } else {
    fail(ErrorCode::usage, "no source for " + what,
         "use one of --secret-stdin, --secret-file F, --secret-env VAR, --prompt, --generate");
  }
  if (secret.empty()) fail(ErrorCode::usage, what + " is empty");
  return secret;
}

}  // namespace ward::cli
