#include "direct_write.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

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

struct FreeDeleter {
  void operator()(std::uint8_t* p) const noexcept { std::free(p); }  // NOLINT: aligned_alloc's
};

// Writes data[0, whole) with O_DIRECT through an aligned copy, k_bounce_size at a time: copying
// into one small buffer costs far less than the page cache's copy and page allocation. Returns
// the bytes written; with errno set when short. An allocation failure reads as EINVAL, so the
// caller writes everything through the page cache instead.
std::size_t write_bounced(int fd, std::span<const std::uint8_t> data, std::size_t whole) {
  const std::size_t size = std::min(k_bounce_size, whole);
  const std::unique_ptr<std::uint8_t, FreeDeleter> bounce(  // NOLINT: aligned_alloc
      static_cast<std::uint8_t*>(std::aligned_alloc(k_direct_alignment, size)));
  if (!bounce) {
    errno = EINVAL;
    return 0;
  }
  std::size_t from = 0;
  while (from < whole) {
    const std::size_t n = std::min(size, whole - from);
    std::memcpy(bounce.get(), data.data() + from, n);
    const std::size_t done = write_range(fd, {bounce.get(), n}, 0, n);
    from += done;
    if (done < n) break;
  }
  return from;
}

}  // namespace

bool wants_direct(std::span<const std::uint8_t> data) { return data.size() >= k_direct_min_size; }

bool writes_in_place(std::span<const std::uint8_t> data) {
  return reinterpret_cast<std::uintptr_t>(data.data()) % k_direct_alignment == 0;
}

int write_contents(int fd, std::span<const std::uint8_t> data) {
  std::size_t written = 0;
  if (wants_direct(data) && set_direct(fd, true)) {
    const std::size_t whole = data.size() - data.size() % k_direct_alignment;
    written =
        writes_in_place(data) ? write_range(fd, data, 0, whole) : write_bounced(fd, data, whole);
    // EINVAL means the filesystem took the flag but not this write (its blocks are larger than
    // ours, or a short write left an unaligned offset): the rest goes through the page cache.
    if (written < whole && errno != EINVAL) return errno;
    if (!set_direct(fd, false)) return errno;
  }
  written = write_range(fd, data, written, data.size());
  return written < data.size() ? errno : 0;
}

}  // namespace ward::store::file
