#include "ward/util/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace ward::util {

void advise_huge_pages(void* data, std::size_t size) noexcept {
  constexpr std::uintptr_t huge = 2 * 1024 * 1024;
  const auto start = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (start + huge - 1) & ~(huge - 1);
  const std::uintptr_t end = (start + size) & ~(huge - 1);
  if (end <= first) return;
  (void)::madvise(reinterpret_cast<void*>(first), end - first,  // NOLINT: an address range
                  MADV_HUGEPAGE);
}

}  // namespace ward::util
