#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace ward::cli {
namespace {

constexpr auto k_interval = std::chrono::milliseconds(200);

std::size_t terminal_width() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::string clock_text(double seconds) {
  const auto total = std::llround(seconds);
  std::array<char, 32> text{};
  if (total >= 3600) {
    std::snprintf(text.data(), text.size(), "%lld:%02lld:%02lld", total / 3600, total / 60 % 60,
                  total % 60);
  } else {
    std::snprintf(text.data(), text.size(), "%lld:%02lld", total / 60, total % 60);
  }
  return text.data();
}

void write_stderr(std::string_view text) {
  while (!text.empty()) {
    const auto n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n <= 0) return;  // a display that cannot be drawn is not worth failing the work for
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string human_size(std::uint64_t bytes) {
  static constexpr std::array<const char*, 5> units = {"B", "KiB", "MiB", "GiB", "TiB"};
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < units.size()) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return std::to_string(bytes) + " B";
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.1f %s", value, units[unit]);
  return text.data();
}

bool progress_wanted(bool quiet) { return !quiet && ::isatty(STDERR_FILENO) == 1; }

ProgressDisplay::ProgressDisplay(const util::Progress& progress, std::string label, bool enabled)
    : m_progress(progress),
      m_label(std::move(label)),
      m_enabled(enabled),
      m_start(std::chrono::steady_clock::now()) {
  if (!m_enabled) return;
  const char* term = std::getenv("TERM");
  m_plain_terminal = term != nullptr && std::string_view(term) == "dumb";
  m_thread = std::thread([this] { loop(); });
}

ProgressDisplay::~ProgressDisplay() {
  if (!m_enabled) return;
  {
    const std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
  // Clear the line, so results and errors that follow start on a clean one.
  if (m_plain_terminal) {
    write_stderr("\r" + std::string(m_last_width, ' ') + "\r");
  } else {
    write_stderr("\r\033[K");
  }
}

std::string ProgressDisplay::render(const std::string& label, std::uint64_t bytes_done,
                                    std::uint64_t bytes_total, std::uint64_t files_done,
                                    std::uint64_t files_total,
                                    std::chrono::duration<double> elapsed) {
  std::string line = label + " " + human_size(bytes_done);
  if (bytes_total > 0) {
    const auto percent = bytes_done >= bytes_total ? 100.0
                                                   : 100.0 * static_cast<double>(bytes_done) /
                                                         static_cast<double>(bytes_total);
    std::array<char, 16> text{};
    std::snprintf(text.data(), text.size(), "%.0f%%", percent);
    line += " / " + human_size(bytes_total) + " (" + text.data() + ")";
  }
  line += ", " + std::to_string(files_done);
  if (files_total > 0) line += "/" + std::to_string(files_total);
  line += " files";
  const double seconds = elapsed.count();
  if (seconds > 0.5) {
    const double rate = static_cast<double>(bytes_done) / seconds;
    line += ", " + human_size(static_cast<std::uint64_t>(rate)) + "/s";
    if (bytes_total > bytes_done && rate > 0) {
      line += ", ETA " + clock_text(static_cast<double>(bytes_total - bytes_done) / rate);
    }
  }
  return line;
}

void ProgressDisplay::loop() {
  std::unique_lock lock(m_mutex);
  while (!m_wake.wait_for(lock, k_interval, [this] { return m_stop; })) draw();
}

void ProgressDisplay::draw() {
  auto line = render(m_label, m_progress.bytes_done.load(), m_progress.bytes_total.load(),
                     m_progress.files_done.load(), m_progress.files_total.load(),
                     std::chrono::steady_clock::now() - m_start);
  const auto width = terminal_width();
  if (line.size() >= width) line.resize(width - 1);  // never wrap: \r must return to its start
  if (m_plain_terminal) {
    const auto size = line.size();
    if (size < m_last_width) line.append(m_last_width - size, ' ');
    m_last_width = size;
    write_stderr("\r" + line);
  } else {
    write_stderr("\r" + line + "\033[K");
  }
}

}  // namespace ward::cli
