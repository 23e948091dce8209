#pragma once

#include <atomic>
#include <cstdint>

namespace ward::util {

// Counters that long-running core work (backup create and restore, redaction of large inputs)
// advances as it goes, from any thread. The core never prints: a command that wants progress
// hands one in and samples it from its own thread (commands/progress.hpp draws it on a TTY).
// A total of zero means "not known (yet)".
struct Progress {
  std::atomic<std::uint64_t> bytes_done{0};
  std::atomic<std::uint64_t> bytes_total{0};
  std::atomic<std::uint64_t> files_done{0};
  std::atomic<std::uint64_t> files_total{0};

  void add_bytes(std::uint64_t n) { bytes_done.fetch_add(n, std::memory_order_relaxed); }
  void add_file() { files_done.fetch_add(1, std::memory_order_relaxed); }
};

}  // namespace ward::util
