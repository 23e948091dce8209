#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ward::backup {

// Content-defined chunking in the style of FastCDC (Xia et al., 2016/2020): a gear rolling
// hash, cut-point skipping below the minimum size and normalized chunking (a harder mask before
// the average size, an easier one after it), so chunk sizes cluster around the average and an
// insertion moves only the boundaries next to it.
struct ChunkerParams {
  std::size_t min_size = 256 * 1024;
  std::size_t avg_size = 1024 * 1024;  // a power of two
  std::size_t max_size = 4 * 1024 * 1024;
};

class Chunker {
 public:
  // The gear table is derived from `seed` (the namespace's chunker key), so chunk boundaries,
  // and with them pack sizes, do not reveal whether known content is stored.
  Chunker(std::span<const std::uint8_t> seed, ChunkerParams params = {});

  // The length of the chunk that starts at data[0]. `data` must hold at least max_size bytes
  // unless it is the end of the stream; the result is at most data.size().
  [[nodiscard]] std::size_t next_cut(std::span<const std::uint8_t> data) const;

  [[nodiscard]] const ChunkerParams& params() const { return m_params; }
  // The fingerprint after byte i is sum(gear[data[j]] << (i - j)) over the bytes j since the
  // minimum size; a cut follows the first byte whose fingerprint has the mask's bits clear.
  [[nodiscard]] const std::array<std::uint64_t, 256>& gear() const { return m_gear; }
  [[nodiscard]] std::uint64_t mask_before_average() const { return m_mask_small; }
  [[nodiscard]] std::uint64_t mask_after_average() const { return m_mask_large; }

 private:
  ChunkerParams m_params;
  std::uint64_t m_mask_small = 0;  // more bits: harder to match before the average size
  std::uint64_t m_mask_large = 0;  // fewer bits: easier after it
  std::array<std::uint64_t, 256> m_gear{};
};

}  // namespace ward::backup
