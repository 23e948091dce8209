#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ward/check/net.hpp"

// The plaintext openings of protocols that switch to TLS on the same connection. Each leaves the
// socket where the next byte the client sends is a TLS ClientHello.
namespace ward::check::starttls {

enum class Protocol { none, postgres, mysql, smtp };

// postgres|mysql|smtp; nullopt otherwise.
[[nodiscard]] std::optional<Protocol> parse_protocol(std::string_view text);
[[nodiscard]] std::string_view protocol_name(Protocol protocol);
// The port a protocol's server usually listens on.
[[nodiscard]] std::uint16_t default_port(Protocol protocol);

struct Outcome {
  enum class Kind {
    ready,        // the server agreed: start TLS now
    not_offered,  // the server answered, but does not do TLS
    failed,       // I/O failure, timeout, or the server does not speak the protocol
  };
  Kind kind = Kind::failed;
  net::Failure failure = net::Failure::none;  // for failed
  std::string detail;                         // what the server said, or what went wrong
  std::string server;                         // banner or server version, if the protocol has one
};

[[nodiscard]] Outcome negotiate(net::Socket& socket, Protocol protocol);

// PostgreSQL only: whether the server would begin a session without TLS. Sends a startup
// message without SSLRequest and reads the first answer: an authentication request means
// yes; a pg_hba.conf rejection means no. No password is ever sent.
struct Plaintext {
  enum class Kind { accepted, rejected, unknown };
  Kind kind = Kind::unknown;
  std::string detail;
};
[[nodiscard]] Plaintext postgres_plaintext(net::Socket& socket);

}  // namespace ward::check::starttls
