#include "ward/ssh/forwarder.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <list>
#include <vector>

#include "ward/error.hpp"

namespace ward::ssh {
namespace {

constexpr std::size_t k_buffer = 32 * 1024;
// How long the loop sleeps when nothing is ready: libssh2 may hold decrypted data that the
// socket no longer signals, so the loop also wakes on this tick.
constexpr int k_tick_ms = 5;

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// One forwarded connection: a local client socket and its channel.
struct Link {
  int client = -1;
  Channel channel;
  std::vector<std::uint8_t> to_channel;  // read from the client, not yet written
  std::vector<std::uint8_t> to_client;   // read from the channel, not yet written
  bool client_eof = false;
  bool channel_eof = false;
  bool eof_sent = false;

  Link(int fd, Channel ch) : client(fd), channel(std::move(ch)) {}
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link() {
    if (client >= 0) ::close(client);
  }
  [[nodiscard]] bool done() const {
    return client_eof && channel_eof && to_channel.empty() && to_client.empty();
  }
};

}  // namespace

Forwarder::Forwarder(std::unique_ptr<Session> session, std::string target_host,
                     std::uint16_t target_port, const std::string& listen_host,
                     std::uint16_t listen_port)
    : m_session(std::move(session)),
      m_target_host(std::move(target_host)),
      m_target_port(target_port),
      m_listen_host(listen_host) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
      ::inet_pton(AF_INET, listen_host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(listen_port);
    length = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
             ::inet_pton(AF_INET6, listen_host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(listen_port);
    length = sizeof(sockaddr_in6);
  } else {
    fail(ErrorCode::usage, "cannot listen on '" + listen_host + "': not an IP address",
         "use --listen 127.0.0.1:PORT");
  }
  m_listener = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(m_listener, 16) != 0) {
    const std::string reason = std::strerror(errno);
    if (m_listener >= 0) ::close(m_listener);
    fail(ErrorCode::usage,
         "cannot listen on " + listen_host + ":" + std::to_string(listen_port) + ": " + reason,
         "choose another port with --listen, or 0 for any free port");
  }
  set_nonblocking(m_listener);
  getsockname(m_listener, reinterpret_cast<sockaddr*>(&storage), &length);
  m_port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                   : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  if (::pipe2(m_wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    ::close(m_listener);
    fail(ErrorCode::internal, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
}

Forwarder::~Forwarder() {
  request_stop();
  if (m_thread.joinable()) m_thread.join();
  if (m_listener >= 0) ::close(m_listener);
  for (const int fd : m_wake) {
    if (fd >= 0) ::close(fd);
  }
}

std::string Forwarder::listen_address() const {
  const bool v6 = m_listen_host.find(':') != std::string::npos;
  return (v6 ? "[" + m_listen_host + "]" : m_listen_host) + ":" + std::to_string(m_port);
}

void Forwarder::request_stop() noexcept {
  m_stop.store(true);
  const char byte = 1;
  if (m_wake[1] >= 0) (void)!::write(m_wake[1], &byte, 1);
}

void Forwarder::start() {
  m_thread = std::thread([this] {
    try {
      run();
    } catch (const Error&) {
      // The owner sees the failure as connections that fail; nothing else to report to.
    }
  });
}

Forwarder::Stats Forwarder::stats() const {
  return {m_connections.load(), m_up.load(), m_down.load()};
}

void Forwarder::run() {
  const std::atomic<bool> never{false};
  run(never);
}

void Forwarder::run(const std::atomic<bool>& external_stop) {
  std::list<Link> links;
  std::array<std::uint8_t, k_buffer> buffer{};
  m_session->set_blocking(false);
  while (!m_stop.load() && !external_stop.load()) {
    std::vector<pollfd> fds{
        {m_listener, POLLIN, 0}, {m_wake[0], POLLIN, 0}, {m_session->socket_fd(), POLLIN, 0}};
    for (auto& link : links) {
      short events = 0;
      if (!link.client_eof && link.to_channel.size() < k_buffer) events |= POLLIN;
      if (!link.to_client.empty()) events |= POLLOUT;
      fds.push_back({link.client, events, 0});
    }
    if (::poll(fds.data(), fds.size(), k_tick_ms) < 0 && errno != EINTR) {
      fail(ErrorCode::internal, std::string("poll failed: ") + std::strerror(errno));
    }
    if ((fds[1].revents & POLLIN) != 0) {
      char drain[64];
      while (::read(m_wake[0], drain, sizeof drain) > 0) {
      }
    }
    if ((fds[0].revents & POLLIN) != 0) {
      const int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (client >= 0) {
        // Opening a channel is one round trip; doing it blocking keeps the loop simple.
        m_session->set_blocking(true);
        try {
          auto channel = m_session->open_direct_tcpip(m_target_host, m_target_port);
          links.emplace_back(client, std::move(channel));
          ++m_connections;
        } catch (const Error& e) {
          ::close(client);
          m_session->set_blocking(false);
          if (e.code() == ErrorCode::unreachable && m_session->broken()) throw;
          continue;  // the target refused this one; keep serving the others
        }
        m_session->set_blocking(false);
      }
    }
    for (auto& link : links) {
      // Client to channel.
      if (!link.client_eof && link.to_channel.size() < k_buffer) {
        const auto n = ::read(link.client, buffer.data(), buffer.size());
        if (n > 0) {
          link.to_channel.insert(link.to_channel.end(), buffer.begin(), buffer.begin() + n);
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
          link.client_eof = true;
        }
      }
      while (!link.to_channel.empty()) {
        const auto written = link.channel.write(link.to_channel);
        if (!written || *written == 0) break;
        m_up += *written;
        link.to_channel.erase(link.to_channel.begin(),
                              link.to_channel.begin() + static_cast<std::ptrdiff_t>(*written));
      }
      if (link.client_eof && link.to_channel.empty() && !link.eof_sent) {
        link.channel.send_eof();
        link.eof_sent = true;
      }
      // Channel to client.
      while (!link.channel_eof && link.to_client.size() < k_buffer) {
        const auto n = link.channel.read(buffer);
        if (!n) break;
        if (*n == 0) {
          if (link.channel.eof()) link.channel_eof = true;
          break;
        }
        link.to_client.insert(link.to_client.end(), buffer.begin(),
                              buffer.begin() + static_cast<std::ptrdiff_t>(*n));
      }
      if (!link.to_client.empty()) {
        const auto n = ::write(link.client, link.to_client.data(), link.to_client.size());
        if (n > 0) {
          m_down += static_cast<std::uint64_t>(n);
          link.to_client.erase(link.to_client.begin(), link.to_client.begin() + n);
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
          link.to_client.clear();  // the client went away
          link.client_eof = true;
          link.channel_eof = true;
        }
      }
      if (link.channel_eof && link.to_client.empty()) ::shutdown(link.client, SHUT_WR);
    }
    links.remove_if([](const Link& link) { return link.done(); });
    if (m_session->broken()) {
      fail(ErrorCode::unreachable, "the SSH connection to " + m_session->endpoint().display() +
                                       " was lost; the tunnel is closed");
    }
  }
}

}  // namespace ward::ssh
