#include <array>
#include <catch2/catch.hpp>
#include <vector>

#include "ward/crypto/random.hpp"
#include "ward/error.hpp"

namespace wc = ward::crypto;

TEST_CASE("random_bytes returns fresh, non-constant output") {
  const auto a = wc::random_bytes(32);
  const auto b = wc::random_bytes(32);
  REQUIRE(a.size() == 32);
  REQUIRE(a != b);
  REQUIRE(a != std::vector<std::uint8_t>(32, 0));
  REQUIRE(wc::random_secret(16).size() == 16);
  REQUIRE(wc::random_bytes(0).empty());
}

TEST_CASE("random_below stays in range, including the edges") {
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(wc::random_below(1) == 0);
    REQUIRE(wc::random_below(2) < 2);
    REQUIRE(wc::random_below(0x80000001u) < 0x80000001u);
  }
  try {
    (void)wc::random_below(0);
    FAIL("no exception");
  } catch (const ward::Error& e) {
    REQUIRE(e.code() == ward::ErrorCode::internal);
  }
}

TEST_CASE("random_below is uniform over a small range (chi-square)") {
  // 10 buckets, 200000 draws: the statistic has 9 degrees of freedom, mean 9. A bound of 60
  // is exceeded by chance with probability below 1e-9, so this does not flake.
  constexpr int k_buckets = 10;
  constexpr int k_draws = 200000;
  std::array<int, k_buckets> counts{};
  for (int i = 0; i < k_draws; ++i) ++counts[wc::random_below(k_buckets)];
  const double expected = static_cast<double>(k_draws) / k_buckets;
  double chi2 = 0;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  INFO("chi-square " << chi2);
  REQUIRE(chi2 < 60.0);
}

TEST_CASE("random_below has no modulo bias for a bound near 2^32") {
  // With bound 3 * 2^30, `x % bound` over 32-bit x would land in [0, 2^30) half the time;
  // the unbiased answer is one third. 30000 draws put the sample within +-0.03 of the truth
  // with overwhelming probability, and 0.5 far outside it.
  constexpr std::uint32_t k_bound = 3u << 30;
  constexpr int k_draws = 30000;
  int low = 0;
  for (int i = 0; i < k_draws; ++i) {
    if (wc::random_below(k_bound) < (1u << 30)) ++low;
  }
  const double fraction = static_cast<double>(low) / k_draws;
  INFO("fraction " << fraction);
  REQUIRE(fraction > 0.30);
  REQUIRE(fraction < 0.37);
}
