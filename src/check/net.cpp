#include "ward/check/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <future>
#include <memory>
#include <thread>

#include "ward/error.hpp"

namespace ward::check::net {
namespace {

timeval to_timeval(std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  return tv;
}

Failure failure_of_errno(int err) {
  switch (err) {
    case ECONNREFUSED:
      return Failure::refused;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRNOTAVAIL:
      return Failure::unreachable;
    case ETIMEDOUT:
    case EAGAIN:
      return Failure::timeout;
    case ECONNRESET:
    case EPIPE:
      return Failure::closed;
    default:
      return Failure::io;
  }
}

}  // namespace

std::string Endpoint::text() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Endpoint parse_endpoint(std::string_view text, std::uint16_t default_port) {
  Endpoint endpoint;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      fail(ErrorCode::usage, "bad target '" + std::string(text) + "': missing ']'",
           "write IPv6 addresses as [::1]:443");
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') fail(ErrorCode::usage, "bad target '" + std::string(text) + "'");
      port_text = rest.substr(1);
    }
  } else if (const auto colon = text.rfind(':');
             colon != std::string_view::npos && std::count(text.begin(), text.end(), ':') == 1) {
    endpoint.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  } else {
    endpoint.host = std::string(text);  // no port, or a bare IPv6 literal
  }
  if (endpoint.host.empty()) {
    fail(ErrorCode::usage, "bad target '" + std::string(text) + "': no host",
         "name a target as HOST[:PORT]");
  }
  endpoint.port = default_port;
  if (!port_text.empty() || (text.size() > 0 && text.back() == ':')) {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      fail(ErrorCode::usage,
           "bad target '" + std::string(text) + "': port must be a number from 1 to 65535");
    }
    endpoint.port = static_cast<std::uint16_t>(value);
  }
  return endpoint;
}

std::string_view failure_id(Failure failure) {
  switch (failure) {
    case Failure::none:
      return "none";
    case Failure::unresolved:
      return "unresolved";
    case Failure::refused:
      return "refused";
    case Failure::unreachable:
      return "unreachable";
    case Failure::timeout:
      return "timeout";
    case Failure::closed:
      return "closed";
    case Failure::io:
      return "io";
  }
  return "io";
}

std::string Address::text() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET) {
    sockaddr_in sa{};
    std::memcpy(&sa, sockaddr.data(), sizeof(sa));
    ::inet_ntop(AF_INET, &sa.sin_addr, buf, sizeof(buf));
    return std::string(buf) + ":" + std::to_string(ntohs(sa.sin_port));
  }
  sockaddr_in6 sa{};
  std::memcpy(&sa, sockaddr.data(), sizeof(sa));
  ::inet_ntop(AF_INET6, &sa.sin6_addr, buf, sizeof(buf));
  return "[" + std::string(buf) + "]:" + std::to_string(ntohs(sa.sin6_port));
}

Resolved resolve(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  // getaddrinfo cannot be cancelled: it runs on its own thread, and a resolver that does not
  // answer in time is left behind (the thread owns everything it touches).
  auto promise = std::make_shared<std::promise<Resolved>>();
  auto future = promise->get_future();
  std::thread([promise, host = endpoint.host, port = std::to_string(endpoint.port)] {
    Resolved out;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* list = nullptr;
    int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
    if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_FAMILY) {
      // AI_ADDRCONFIG hides ::1 on a machine whose only interface is loopback.
      hints.ai_flags = 0;
      rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
    }
    if (rc != 0) {
      out.failure = Failure::unresolved;
      out.error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
    } else {
      std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(list, ::freeaddrinfo);
      for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        Address address;
        address.family = ai->ai_family;
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(ai->ai_addr);
        address.sockaddr.assign(bytes, bytes + ai->ai_addrlen);
        out.addresses.push_back(std::move(address));
      }
      if (out.addresses.empty()) {
        out.failure = Failure::unresolved;
        out.error = "cannot resolve " + host + ": no IPv4 or IPv6 address";
      }
    }
    promise->set_value(std::move(out));
  }).detach();
  if (future.wait_for(timeout) != std::future_status::ready) {
    Resolved out;
    out.failure = Failure::timeout;
    out.error = "cannot resolve " + endpoint.host + ": the resolver did not answer within " +
                std::to_string(timeout.count()) + " ms";
    return out;
  }
  return future.get();
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = other.m_fd;
    other.m_fd = -1;
  }
  return *this;
}

Socket::~Socket() {
  if (m_fd >= 0) ::close(m_fd);
}

bool Socket::send_all(std::span<const std::uint8_t> bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(m_fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool Socket::send_text(std::string_view text) {
  return send_all(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::vector<std::uint8_t> Socket::receive(std::size_t max, Failure& failure) {
  std::vector<std::uint8_t> buf(max);
  while (true) {
    const auto n = ::recv(m_fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failure = failure_of_errno(errno);
      return {};
    }
    if (n == 0) {
      failure = Failure::closed;
      return {};
    }
    failure = Failure::none;
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }
}

std::optional<std::vector<std::uint8_t>> Socket::receive_exactly(std::size_t n, Failure& failure) {
  std::vector<std::uint8_t> out;
  while (out.size() < n) {
    auto chunk = receive(n - out.size(), failure);
    if (chunk.empty()) return std::nullopt;
    out.insert(out.end(), chunk.begin(), chunk.end());
  }
  return out;
}

std::optional<std::string> Socket::receive_line(std::size_t max, Failure& failure) {
  // Byte by byte: the bytes after the line belong to whatever reads next (a TLS handshake).
  std::string line;
  while (line.size() < max) {
    std::uint8_t c = 0;
    const auto n = ::recv(m_fd, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failure = failure_of_errno(errno);
      return std::nullopt;
    }
    if (n == 0) {
      failure = Failure::closed;
      return std::nullopt;
    }
    if (c == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      failure = Failure::none;
      return line;
    }
    line.push_back(static_cast<char>(c));
  }
  failure = Failure::io;
  return std::nullopt;
}

Connection connect(const Address& address, std::chrono::milliseconds timeout) {
  Connection out;
  const int fd = ::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    out.failure = Failure::io;
    out.error = std::string("cannot create a socket: ") + std::strerror(errno);
    return out;
  }
  Socket socket(fd);
  const auto* sa = reinterpret_cast<const sockaddr*>(address.sockaddr.data());
  int rc = ::connect(fd, sa, static_cast<socklen_t>(address.sockaddr.size()));
  if (rc != 0 && errno != EINPROGRESS) {
    out.failure = failure_of_errno(errno);
    out.error = "cannot connect to " + address.text() + ": " + std::strerror(errno);
    return out;
  }
  if (rc != 0) {
    pollfd p{fd, POLLOUT, 0};
    do {
      rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      out.failure = Failure::timeout;
      out.error = "cannot connect to " + address.text() + ": no answer within " +
                  std::to_string(timeout.count()) + " ms";
      return out;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (rc < 0 || err != 0) {
      const int e = rc < 0 ? errno : err;
      out.failure = failure_of_errno(e);
      out.error = "cannot connect to " + address.text() + ": " + std::strerror(e);
      return out;
    }
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const auto tv = to_timeval(timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  out.socket = std::move(socket);
  return out;
}

void Watchdog::add(int fd) {
  const std::lock_guard lock(m_mutex);
  m_fds.insert(fd);
  if (m_expired) ::shutdown(fd, SHUT_RDWR);
}

void Watchdog::remove(int fd) {
  const std::lock_guard lock(m_mutex);
  m_fds.erase(fd);
}

void Watchdog::finished() {
  {
    const std::lock_guard lock(m_mutex);
    ++m_finished;
  }
  m_changed.notify_all();
}

bool Watchdog::wait(std::size_t probes, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(m_mutex);
  if (m_changed.wait_until(lock, deadline, [&] { return m_finished >= probes; })) return true;
  m_expired = true;
  for (const int fd : m_fds) ::shutdown(fd, SHUT_RDWR);
  return false;
}

}  // namespace ward::check::net
