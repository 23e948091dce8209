#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ward::store::file {

// Objects at least this large, whose bytes start on a k_direct_alignment boundary, are written
// with O_DIRECT: the disk reads them straight from the caller's buffer, so a backup's packs cost
// neither a copy into the page cache nor the kernel's work of allocating and writing back those
// pages (about a fifth of the CPU of a first backup when written through the cache).
inline constexpr std::size_t k_direct_min_size = 1024 * 1024;
// Buffer address, file offset and length of an O_DIRECT write must be multiples of the device's
// logical block size; 4096 covers 512-byte and 4 KiB devices alike.
inline constexpr std::size_t k_direct_alignment = 4096;

// Writes all of `data` to `fd`, a new empty file opened for writing without O_DIRECT. Large
// aligned data goes out with O_DIRECT up to its last whole block and the tail through the page
// cache; a filesystem that refuses O_DIRECT (or an unaligned write) gets buffered writes only.
// Durability is the caller's fsync either way. Returns 0, or the errno of the failing write.
int write_contents(int fd, std::span<const std::uint8_t> data);

// Whether `write_contents` would try O_DIRECT for `data` (the filesystem may still refuse it).
bool wants_direct(std::span<const std::uint8_t> data);

}  // namespace ward::store::file
