// The plaintext openings before STARTTLS (src/check/starttls.cpp): the PostgreSQL SSLRequest
// reply and plaintext probe, the MySQL handshake, SMTP's EHLO/STARTTLS replies. The input is
// what the server sends, through a socketpair, so the real socket reading code runs too.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "ward/check/starttls.hpp"
#include "ward/error.hpp"

namespace {

void run(ward::check::starttls::Protocol protocol, const std::uint8_t* data, std::size_t size,
         bool plaintext) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) __builtin_trap();
  // The whole reply is queued, then the "server" hangs up: reads end at EOF, never at a timeout.
  std::size_t sent = 0;
  while (sent < size) {
    const auto n = ::write(fds[1], data + sent, size - sent);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fds[1], SHUT_WR);
  ward::check::net::Socket socket(fds[0]);
  try {
    if (plaintext) {
      (void)ward::check::starttls::postgres_plaintext(socket);
    } else {
      (void)ward::check::starttls::negotiate(socket, protocol);
    }
  } catch (const ward::Error&) {
  }
  ::close(fds[1]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using ward::check::starttls::Protocol;
  if (size > 60000) return 0;  // stays inside one socket buffer
  if (size == 0) return 0;
  // The first byte picks the protocol, so one corpus holds replies of all of them.
  switch (data[0] % 4) {
    case 0:
      run(Protocol::postgres, data + 1, size - 1, false);
      break;
    case 1:
      run(Protocol::postgres, data + 1, size - 1, true);
      break;
    case 2:
      run(Protocol::mysql, data + 1, size - 1, false);
      break;
    default:
      run(Protocol::smtp, data + 1, size - 1, false);
      break;
  }
  return 0;
}
