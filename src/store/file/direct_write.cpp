#include "direct_write.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ward::store::file {
namespace {

// Turns O_DIRECT on or off for `fd`; false when the filesystem does not take it (tmpfs before
// Linux 6.6, some FUSE and network filesystems refuse it with EINVAL).
bool set_direct(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  const int wanted = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
  return wanted == flags || ::fcntl(fd, F_SETFL, wanted) == 0;
}

// Writes data[from, to) at the file's current offset; returns the new `from`, stopping early
// (with errno set) when a write fails.
std::size_t write_range(int fd, std::span<const std::uint8_t> data, std::size_t from,
                        std::size_t to) {
  while (from < to) {
    const auto n = ::write(fd, data.data() + from, to - from);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;  // a regular file that takes nothing will never take the rest
      return from;
    }
    from += static_cast<std::size_t>(n);
  }
  return from;
}

}  // namespace

bool wants_direct(std::span<const std::uint8_t> data) {
  return data.size() >= k_direct_min_size &&
         reinterpret_cast<std::uintptr_t>(data.data()) % k_direct_alignment == 0;
}

int write_contents(int fd, std::span<const std::uint8_t> data) {
  std::size_t written = 0;
  if (wants_direct(data) && set_direct(fd, true)) {
    const std::size_t whole = data.size() - data.size() % k_direct_alignment;
    written = write_range(fd, data, 0, whole);
    // EINVAL means the filesystem took the flag but not this write (its blocks are larger than
    // ours, or a short write left an unaligned offset): the rest goes through the page cache.
    if (written < whole && errno != EINVAL) return errno;
    if (!set_direct(fd, false)) return errno;
  }
  written = write_range(fd, data, written, data.size());
  return written < data.size() ? errno : 0;
}

}  // namespace ward::store::file
