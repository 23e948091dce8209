#include "ward/check/starttls.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace ward::check::starttls {
namespace {

constexpr std::size_t k_max_line = 4096;
constexpr std::uint32_t k_pg_ssl_request = 80877103;
constexpr std::uint32_t k_pg_protocol_3 = 196608;
constexpr std::uint32_t k_mysql_client_ssl = 0x00000800;
constexpr std::uint32_t k_mysql_protocol_41 = 0x00000200;
constexpr std::uint32_t k_mysql_secure_connection = 0x00008000;

void put32be(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void put32le(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 0; shift <= 24; shift += 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

Outcome failed(net::Failure failure, std::string detail) {
  Outcome out;
  out.kind = Outcome::Kind::failed;
  out.failure = failure == net::Failure::none ? net::Failure::io : failure;
  out.detail = std::move(detail);
  return out;
}

std::string printable(const std::string& in) {
  std::string out;
  for (const char c : in) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  if (out.size() > 200) out = out.substr(0, 200) + "…";
  return out;
}

Outcome postgres(net::Socket& socket) {
  std::vector<std::uint8_t> request;
  put32be(request, 8);
  put32be(request, k_pg_ssl_request);
  if (!socket.send_all(request)) return failed(net::Failure::closed, "cannot send SSLRequest");
  net::Failure failure = net::Failure::none;
  const auto answer = socket.receive_exactly(1, failure);
  if (!answer) {
    return failed(failure, failure == net::Failure::timeout
                               ? "no answer to the PostgreSQL SSLRequest"
                               : "connection closed after the PostgreSQL SSLRequest");
  }
  Outcome out;
  switch ((*answer)[0]) {
    case 'S':
      out.kind = Outcome::Kind::ready;
      break;
    case 'N':
      out.kind = Outcome::Kind::not_offered;
      out.detail = "the server answered N to SSLRequest: TLS is off";
      break;
    case 'E':  // servers before 7.0, or ones refusing outright
      out.kind = Outcome::Kind::not_offered;
      out.detail = "the server answered the SSLRequest with an error";
      break;
    default:
      return failed(net::Failure::io, "the server does not speak the PostgreSQL protocol");
  }
  return out;
}

Outcome mysql(net::Socket& socket) {
  net::Failure failure = net::Failure::none;
  const auto header = socket.receive_exactly(4, failure);
  if (!header) return failed(failure, "no MySQL greeting");
  const std::size_t len = (*header)[0] | ((*header)[1] << 8) | ((*header)[2] << 16);
  if (len < 1 || len > 16384)
    return failed(net::Failure::io, "the server does not speak the MySQL protocol");
  const auto payload = socket.receive_exactly(len, failure);
  if (!payload) return failed(failure, "MySQL greeting truncated");
  const auto& p = *payload;
  if (p[0] == 0xFF) {
    const std::string message(
        std::next(p.begin(), static_cast<std::ptrdiff_t>(std::min<std::size_t>(3, p.size()))),
        p.end());
    return failed(net::Failure::io,
                  "the MySQL server refused the connection: " + printable(message));
  }
  if (p[0] != 10) return failed(net::Failure::io, "the server does not speak the MySQL protocol");
  std::size_t at = 1;
  std::string version;
  while (at < p.size() && p[at] != 0) version += static_cast<char>(p[at++]);
  at += 1 + 4 + 8 + 1;  // NUL, connection id, auth data part 1, filler
  if (at + 2 > p.size()) return failed(net::Failure::io, "MySQL greeting truncated");
  const std::uint32_t capabilities = p[at] | (p[at + 1] << 8);
  Outcome out;
  out.server = printable(version);
  if ((capabilities & k_mysql_client_ssl) == 0) {
    out.kind = Outcome::Kind::not_offered;
    out.detail = "the MySQL server does not offer SSL (no CLIENT_SSL capability)";
    return out;
  }
  std::vector<std::uint8_t> request{32, 0, 0, 1};  // length 32, sequence 1
  put32le(request, k_mysql_client_ssl | k_mysql_protocol_41 | k_mysql_secure_connection);
  put32le(request, 0x01000000);  // max packet size
  request.push_back(33);         // utf8_general_ci
  request.resize(request.size() + 23, 0);
  if (!socket.send_all(request))
    return failed(net::Failure::closed, "cannot send the MySQL SSLRequest");
  out.kind = Outcome::Kind::ready;
  return out;
}

// Reads one SMTP reply (possibly multi-line); returns its code and lines.
bool smtp_reply(net::Socket& socket, int& code, std::vector<std::string>& lines,
                net::Failure& failure) {
  lines.clear();
  for (int i = 0; i < 100; ++i) {
    const auto line = socket.receive_line(k_max_line, failure);
    if (!line) return false;
    if (line->size() < 3) return false;
    lines.push_back(*line);
    if (line->size() == 3 || (*line)[3] == ' ') {
      code = std::atoi(line->substr(0, 3).c_str());
      return true;
    }
    if ((*line)[3] != '-') return false;
  }
  return false;
}

Outcome smtp(net::Socket& socket) {
  int code = 0;
  std::vector<std::string> lines;
  net::Failure failure = net::Failure::none;
  if (!smtp_reply(socket, code, lines, failure)) {
    return failed(failure, failure == net::Failure::timeout ? "no SMTP greeting"
                                                            : "the server does not speak SMTP");
  }
  Outcome out;
  out.server = printable(lines.front());
  if (code != 220)
    return failed(net::Failure::io, "SMTP greeting refused: " + printable(lines.front()));
  if (!socket.send_text("EHLO ward.check\r\n"))
    return failed(net::Failure::closed, "cannot send EHLO");
  if (!smtp_reply(socket, code, lines, failure) || code != 250) {
    return failed(failure, "the SMTP server did not accept EHLO");
  }
  bool offered = false;
  for (const auto& line : lines) {
    std::string keyword = line.size() > 4 ? line.substr(4) : "";
    for (auto& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (keyword.rfind("STARTTLS", 0) == 0) offered = true;
  }
  if (!offered) {
    out.kind = Outcome::Kind::not_offered;
    out.detail = "the SMTP server does not offer STARTTLS";
    return out;
  }
  if (!socket.send_text("STARTTLS\r\n"))
    return failed(net::Failure::closed, "cannot send STARTTLS");
  if (!smtp_reply(socket, code, lines, failure)) return failed(failure, "no answer to STARTTLS");
  if (code != 220) {
    out.kind = Outcome::Kind::not_offered;
    out.detail = "the SMTP server refused STARTTLS: " + printable(lines.front());
    return out;
  }
  out.kind = Outcome::Kind::ready;
  return out;
}

}  // namespace

std::optional<Protocol> parse_protocol(std::string_view text) {
  if (text == "postgres") return Protocol::postgres;
  if (text == "mysql") return Protocol::mysql;
  if (text == "smtp") return Protocol::smtp;
  return std::nullopt;
}

std::string_view protocol_name(Protocol protocol) {
  switch (protocol) {
    case Protocol::postgres:
      return "postgres";
    case Protocol::mysql:
      return "mysql";
    case Protocol::smtp:
      return "smtp";
    case Protocol::none:
      break;
  }
  return "none";
}

std::uint16_t default_port(Protocol protocol) {
  switch (protocol) {
    case Protocol::postgres:
      return 5432;
    case Protocol::mysql:
      return 3306;
    case Protocol::smtp:
      return 25;
    case Protocol::none:
      break;
  }
  return 443;
}

Outcome negotiate(net::Socket& socket, Protocol protocol) {
  switch (protocol) {
    case Protocol::postgres:
      return postgres(socket);
    case Protocol::mysql:
      return mysql(socket);
    case Protocol::smtp:
      return smtp(socket);
    case Protocol::none:
      break;
  }
  Outcome out;
  out.kind = Outcome::Kind::ready;
  return out;
}

Plaintext postgres_plaintext(net::Socket& socket) {
  std::vector<std::uint8_t> body;
  put32be(body, k_pg_protocol_3);
  for (const std::string_view part : {"user", "ward_check", "database", "postgres"}) {
    body.insert(body.end(), part.begin(), part.end());
    body.push_back(0);
  }
  body.push_back(0);
  std::vector<std::uint8_t> message;
  put32be(message, static_cast<std::uint32_t>(body.size() + 4));
  message.insert(message.end(), body.begin(), body.end());
  Plaintext out;
  if (!socket.send_all(message)) {
    out.detail = "cannot send a startup message";
    return out;
  }
  net::Failure failure = net::Failure::none;
  const auto header = socket.receive_exactly(5, failure);
  if (!header) {
    out.detail = "no answer to a plaintext startup message";
    return out;
  }
  const std::uint8_t type = (*header)[0];
  const std::size_t len = (static_cast<std::size_t>((*header)[1]) << 24) | ((*header)[2] << 16) |
                          ((*header)[3] << 8) | (*header)[4];
  if (type == 'R') {
    out.kind = Plaintext::Kind::accepted;
    out.detail = "the server asked for authentication over a plaintext connection";
    return out;
  }
  if (type != 'E' || len < 4 || len > 8192) {
    out.detail = "unexpected answer to a plaintext startup message";
    return out;
  }
  const auto payload = socket.receive_exactly(len - 4, failure);
  if (!payload) {
    out.detail = "truncated answer to a plaintext startup message";
    return out;
  }
  std::string message_text;
  for (std::size_t at = 0; at < payload->size() && (*payload)[at] != 0;) {
    const char field = static_cast<char>((*payload)[at++]);
    std::string value;
    while (at < payload->size() && (*payload)[at] != 0)
      value += static_cast<char>((*payload)[at++]);
    ++at;
    if (field == 'M') message_text = value;
  }
  out.detail = printable(message_text);
  out.kind = message_text.find("pg_hba.conf") != std::string::npos ? Plaintext::Kind::rejected
                                                                   : Plaintext::Kind::accepted;
  return out;
}

}  // namespace ward::check::starttls
