#include "ward/crypto/random.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <limits>

#include "ward/error.hpp"

namespace ward::crypto {

void random_fill(std::span<std::uint8_t> out) {
  // RAND_bytes takes an int, so very large requests are split.
  constexpr auto k_max_chunk = static_cast<std::size_t>(INT_MAX);
  std::size_t offset = 0;
  while (offset < out.size()) {
    const std::size_t chunk = std::min(out.size() - offset, k_max_chunk);
    if (RAND_bytes(out.data() + offset, static_cast<int>(chunk)) != 1) {
      fail(ErrorCode::internal, "the system random number generator failed");
    }
    offset += chunk;
  }
}

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  random_fill(out);
  return out;
}

SecretBytes random_secret(std::size_t n) {
  SecretBytes out(n);
  random_fill(out.bytes());
  return out;
}

std::uint32_t random_below(std::uint32_t bound) {
  if (bound == 0) {
    fail(ErrorCode::internal, "random_below: bound must be positive");
  }
  // Accept only values below the largest multiple of bound that fits in 2^32, so every
  // residue is equally likely; fewer than half of all draws are ever rejected.
  const std::uint64_t range = std::uint64_t{1} << 32;
  const std::uint64_t limit = range - (range % bound);
  for (;;) {
    std::uint8_t buf[4];
    random_fill(buf);
    const std::uint64_t value = (std::uint64_t{buf[0]} << 24) | (std::uint64_t{buf[1]} << 16) |
                                (std::uint64_t{buf[2]} << 8) | std::uint64_t{buf[3]};
    if (value < limit) {
      return static_cast<std::uint32_t>(value % bound);
    }
  }
}

}  // namespace ward::crypto
