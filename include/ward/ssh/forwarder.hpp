#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "ward/ssh/session.hpp"

namespace ward::ssh {

// Local port forwarding through one authenticated SSH session (what `ssh -L` does): every
// connection accepted on the local listener gets its own direct-tcpip channel to the target,
// as seen from the SSH server. Used by `ward tunnel`, and by `check source` and rotation to
// reach a database behind a bastion. One thread drives the session (libssh2 sessions are not
// thread-safe) with the session in non-blocking mode.
class Forwarder {
 public:
  struct Stats {
    std::uint64_t connections = 0;
    std::uint64_t bytes_up = 0;    // local client to target
    std::uint64_t bytes_down = 0;  // target to local client
  };

  // Binds the listener (port 0: any free port) but forwards nothing until run() or start().
  // Throws Error(usage) when the address cannot be bound.
  Forwarder(std::unique_ptr<Session> session, std::string target_host, std::uint16_t target_port,
            const std::string& listen_host = "127.0.0.1", std::uint16_t listen_port = 0);
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;
  ~Forwarder();

  [[nodiscard]] std::uint16_t port() const { return m_port; }
  [[nodiscard]] std::string listen_address() const;

  // Forwards until request_stop() (or a signal handler setting the flag given to run) or the
  // SSH connection fails (then throws Error(unreachable)).
  void run();
  void run(const std::atomic<bool>& external_stop);
  // Asks run() to return; safe from another thread or a signal handler.
  void request_stop() noexcept;

  // run() on a background thread; the destructor stops and joins it.
  void start();

  [[nodiscard]] Stats stats() const;

 private:
  struct Loop;
  std::unique_ptr<Session> m_session;
  std::string m_target_host;
  std::uint16_t m_target_port;
  std::string m_listen_host;
  int m_listener = -1;
  std::uint16_t m_port = 0;
  int m_wake[2] = {-1, -1};  // self-pipe: request_stop() writes, run() polls
  std::atomic<bool> m_stop{false};
  std::atomic<std::uint64_t> m_connections{0}, m_up{0}, m_down{0};
  std::thread m_thread;
};

}  // namespace ward::ssh
