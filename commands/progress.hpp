#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "ward/util/progress.hpp"

namespace ward::cli {

// "1.5 GiB", "312 B": sizes for people.
std::string human_size(std::uint64_t bytes);

// Whether long work should draw progress: only when stderr is a terminal and -q was not given,
// so nothing extra reaches a pipe, a file or a CI log.
bool progress_wanted(bool quiet);

// Draws a util::Progress on stderr while it is alive — bytes and files done, rate and ETA once
// the totals are known — redrawn in place five times a second, and clears the line when it
// ends. Does nothing at all when constructed disabled. Shared by every command with long work.
class ProgressDisplay {
 public:
  ProgressDisplay(const util::Progress& progress, std::string label, bool enabled);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // The line as it would be drawn after `elapsed` (exposed for tests).
  static std::string render(const std::string& label, std::uint64_t bytes_done,
                            std::uint64_t bytes_total, std::uint64_t files_done,
                            std::uint64_t files_total, std::chrono::duration<double> elapsed);

 private:
  void loop();
  void draw();

  const util::Progress& m_progress;
  std::string m_label;
  bool m_enabled;
  bool m_plain_terminal = false;  // TERM=dumb: no escape sequences, pad with spaces instead
  std::size_t m_last_width = 0;
  std::chrono::steady_clock::time_point m_start;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  std::thread m_thread;
};

}  // namespace ward::cli
