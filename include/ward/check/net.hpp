#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// TCP for checks: every step has a deadline, so an unreachable target or a server that accepts
// and never speaks costs at most the timeout, never a hang.
namespace ward::check::net {

// Where to connect: as the user wrote it, split. IPv6 literals are written [::1]:443.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  [[nodiscard]] std::string text() const;  // host:port, [v6]:port
};

// Parses HOST[:PORT], [V6]:PORT or a bare V6 literal; throws Error(usage) on a bad port or an
// empty host.
[[nodiscard]] Endpoint parse_endpoint(std::string_view text, std::uint16_t default_port);

// Why a connection attempt failed, as a check reports it.
enum class Failure { none, unresolved, refused, unreachable, timeout, closed, io };
[[nodiscard]] std::string_view failure_id(Failure failure);  // "unresolved", "refused", …

// One resolved address, reusable by many concurrent probes.
struct Address {
  int family = 0;
  std::vector<std::uint8_t> sockaddr;  // struct sockaddr_in / sockaddr_in6 bytes
  [[nodiscard]] std::string text() const;
};

struct Resolved {
  std::vector<Address> addresses;
  Failure failure = Failure::none;
  std::string error;
};

// Resolves host within `timeout` (a resolver that does not answer is abandoned, not waited for).
[[nodiscard]] Resolved resolve(const Endpoint& endpoint, std::chrono::milliseconds timeout);

// A connected TCP socket with send/receive deadlines. Closed on destruction.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : m_fd(fd) {}
  Socket(Socket&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

  [[nodiscard]] int fd() const { return m_fd; }
  [[nodiscard]] bool open() const { return m_fd >= 0; }

  // Sends every byte; false on error or when the deadline passes.
  bool send_all(std::span<const std::uint8_t> bytes);
  bool send_text(std::string_view text);
  // Receives up to `max` bytes, waiting at most the socket timeout. 0 bytes with Failure::closed
  // on EOF.
  std::vector<std::uint8_t> receive(std::size_t max, Failure& failure);
  // Receives exactly n bytes or fails.
  std::optional<std::vector<std::uint8_t>> receive_exactly(std::size_t n, Failure& failure);
  // Receives a line ending in \n (CRLF stripped), at most `max` bytes.
  std::optional<std::string> receive_line(std::size_t max, Failure& failure);

 private:
  int m_fd = -1;
};

struct Connection {
  Socket socket;
  Failure failure = Failure::none;
  std::string error;
};

// Connects to `address` (port included) within `timeout`; the socket's reads and writes then
// time out after `timeout` each.
[[nodiscard]] Connection connect(const Address& address, std::chrono::milliseconds timeout);

// Ends the connections of probes that outlive an overall deadline: per-read timeouts alone would
// let a server that trickles a byte now and then hold a check for as long as it likes.
class Watchdog {
 public:
  // Registers a socket while a probe uses it; expire() shuts down every registered socket.
  void add(int fd);
  void remove(int fd);
  // Marks one probe finished.
  void finished();
  // Waits until `probes` probes have finished or `deadline` passes; then shuts down the sockets
  // still open, so blocked reads return. Returns false when the deadline passed.
  bool wait(std::size_t probes, std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::set<int> m_fds;
  std::size_t m_finished = 0;
  bool m_expired = false;
};

// Keeps a socket registered with a watchdog for its lifetime (declare it after the socket, so it
// is removed before the socket closes and its number can be reused).
class WatchdogRegistration {
 public:
  WatchdogRegistration() = default;
  WatchdogRegistration(Watchdog* watchdog, int fd) : m_watchdog(watchdog), m_fd(fd) {
    if (m_watchdog != nullptr) m_watchdog->add(m_fd);
  }
  WatchdogRegistration(WatchdogRegistration&& other) noexcept
      : m_watchdog(std::exchange(other.m_watchdog, nullptr)), m_fd(other.m_fd) {}
  WatchdogRegistration& operator=(WatchdogRegistration&& other) noexcept {
    if (this != &other) {
      if (m_watchdog != nullptr) m_watchdog->remove(m_fd);
      m_watchdog = std::exchange(other.m_watchdog, nullptr);
      m_fd = other.m_fd;
    }
    return *this;
  }
  WatchdogRegistration(const WatchdogRegistration&) = delete;
  WatchdogRegistration& operator=(const WatchdogRegistration&) = delete;
  ~WatchdogRegistration() {
    if (m_watchdog != nullptr) m_watchdog->remove(m_fd);
  }

 private:
  Watchdog* m_watchdog = nullptr;
  int m_fd = -1;
};

}  // namespace ward::check::net
