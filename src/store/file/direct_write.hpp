#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ward::store::file {

// Objects at least this large are written with O_DIRECT, so they cost neither a copy into the page
// cache nor the kernel's work of allocating and writing back those pages (about a fifth of the
// CPU of a first backup when written through the cache; on a VM whose fresh pages the host backs
// only on first touch, a buffered 256 MiB write took 1.5 s). Bytes that start on a
// k_direct_alignment boundary (a backup's packs) go to the disk straight from the caller's
// buffer; others (an object a remote store handed back) through an aligned copy of
// k_bounce_size bytes at a time.
inline constexpr std::size_t k_direct_min_size = 1024 * 1024;
inline constexpr std::size_t k_bounce_size = 4 * 1024 * 1024;
// Buffer address, file offset and length of an O_DIRECT write must be multiples of the device's
// logical block size; 4096 covers 512-byte and 4 KiB devices alike.
inline constexpr std::size_t k_direct_alignment = 4096;

// Writes all of `data` to `fd`, a new empty file opened for writing without O_DIRECT. Large
// data goes out with O_DIRECT up to its last whole block and the tail through the page cache; a
// filesystem that refuses O_DIRECT (or an unaligned write) gets buffered writes only. Durability is
// the caller's fsync either way. Returns 0, or the errno of the failing write.
int write_contents(int fd, std::span<const std::uint8_t> data);

// Whether `write_contents` would try O_DIRECT for `data` (the filesystem may still refuse it),
// and whether it would do so from `data` itself rather than through the aligned copy.
bool wants_direct(std::span<const std::uint8_t> data);
bool writes_in_place(std::span<const std::uint8_t> data);

}  // namespace ward::store::file
