#include "ward/backup/chunker.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "ward/crypto/hash.hpp"
#include "ward/error.hpp"

namespace ward::backup {
namespace {

// A mask of `bits` ones taken from the top of the word: the gear hash shifts left, so the high
// bits depend on the last 64 bytes, the low bits only on the last few.
std::uint64_t top_mask(int bits) { return bits <= 0 ? 0 : ~std::uint64_t{0} << (64 - bits); }

}  // namespace

Chunker::Chunker(std::span<const std::uint8_t> seed, ChunkerParams params) : m_params(params) {
  if (params.min_size == 0 || params.min_size >= params.avg_size ||
      params.avg_size >= params.max_size || !std::has_single_bit(params.avg_size)) {
    fail(ErrorCode::internal,
         "chunker: sizes must satisfy 0 < min < avg < max, avg a power of two");
  }
  const int bits = std::countr_zero(params.avg_size);
  // Normalization level 2, as FastCDC recommends.
  m_mask_small = top_mask(bits + 2);
  m_mask_large = top_mask(bits - 2);
  for (std::size_t i = 0; i < m_gear.size(); ++i) {
    std::string message = "ward.backup.gear.v1";
    message.push_back(static_cast<char>(i));
    const auto digest = crypto::hmac_sha256(
        seed, {reinterpret_cast<const std::uint8_t*>(message.data()), message.size()});
    std::memcpy(&m_gear[i], digest.data(), sizeof(std::uint64_t));
  }
}

std::size_t Chunker::next_cut(std::span<const std::uint8_t> data) const {
  const std::size_t n = data.size();
  if (n <= m_params.min_size) return n;
  const std::size_t normal = std::min(m_params.avg_size, n);
  const std::size_t limit = std::min(m_params.max_size, n);
  const std::uint8_t* p = data.data();
  std::uint64_t fp = 0;
  std::size_t i = m_params.min_size;
  for (; i < normal; ++i) {
    fp = (fp << 1) + m_gear[p[i]];
    if ((fp & m_mask_small) == 0) return i + 1;
  }
  for (; i < limit; ++i) {
    fp = (fp << 1) + m_gear[p[i]];
    if ((fp & m_mask_large) == 0) return i + 1;
  }
  return limit;
}

}  // namespace ward::backup
