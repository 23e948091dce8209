#include <unistd.h>

#include "commands.hpp"
#include "output.hpp"
#include "secret_input.hpp"
#include "ward/crypto/bcrypt.hpp"
#include "ward/crypto/password.hpp"
#include "ward/error.hpp"

namespace ward::cli {
namespace {

// A password for hashing or checking: a no-echo prompt on a terminal, otherwise stdin.
crypto::SecretBytes read_password(bool confirm) {
  if (::isatty(STDIN_FILENO) == 1) return prompt_secret("Password: ", confirm);
  auto password = read_all_fd(STDIN_FILENO, "the password on standard input");
  strip_newline(password);
  if (password.empty()) fail(ErrorCode::usage, "empty password on standard input");
  return password;
}

}  // namespace

void register_passwd(CLI::App& app, Context& ctx) {
  auto* passwd = app.add_subcommand("passwd", "Password hashing (bcrypt) and strength checks");
  passwd->require_subcommand(1);

  auto cost = std::make_shared<int>(crypto::k_bcrypt_default_cost);
  auto* hash = passwd->add_subcommand(
      "hash", "Print the bcrypt ($2b$) hash of a password read from stdin or a prompt");
  hash->add_option("--cost", *cost, "bcrypt cost (4-31)")->check(CLI::Range(4, 31));
  set_action(hash, [&ctx, cost] {
    const auto result = crypto::bcrypt_hash(read_password(/*confirm=*/true), *cost);
    if (ctx.json()) {
      print_json({{"schema", "ward.passwd.hash/v1"},
                  {"algorithm", "bcrypt"},
                  {"cost", *cost},
                  {"hash", result}});
    } else {
      print_line(result);
    }
  });

  auto expected = std::make_shared<std::string>();
  auto* verify = passwd->add_subcommand(
      "verify",
      "Check a password (stdin or prompt) against a bcrypt hash; exit 1 if it does not match");
  verify->add_option("HASH", *expected, "The bcrypt hash")->required();
  set_action(verify, [&ctx, expected] {
    const bool match = crypto::bcrypt_verify(read_password(/*confirm=*/false), *expected);
    if (ctx.json()) {
      print_json({{"schema", "ward.passwd.verify/v1"}, {"match", match}});
    } else {
      print_line(match ? "match" : "no match");
    }
    if (!match) fail(ErrorCode::findings, "the password does not match the hash");
  });

  auto policy = std::make_shared<crypto::StrengthPolicy>();
  auto* check = passwd->add_subcommand(
      "check", "Judge a password (stdin or prompt) against the strength policy; exit 1 if weak");
  check->add_option("--min-length", policy->min_length, "Minimum length");
  check->add_option("--min-entropy", policy->min_entropy_bits,
                    "Minimum estimated entropy in bits (zxcvbn)");
  set_action(check, [&ctx, policy] {
    const auto report = crypto::assess_strength(read_password(/*confirm=*/false), *policy);
    if (ctx.json()) {
      print_json({{"schema", "ward.passwd.check/v1"},
                  {"acceptable", report.acceptable},
                  {"entropy_bits", report.entropy_bits},
                  {"score", report.score},
                  {"length", report.length},
                  {"problems", report.problems}});
    } else {
      print_line(std::string(report.acceptable ? "acceptable" : "weak") + ": about " +
                 std::to_string(static_cast<int>(report.entropy_bits)) + " bits, score " +
                 std::to_string(report.score) + "/4, " + std::to_string(report.length) +
                 " characters");
      for (const auto& problem : report.problems) print_line("  - " + problem);
    }
    if (!report.acceptable)
      fail(ErrorCode::findings, "the password does not meet the strength policy");
  });
}

}  // namespace ward::cli
