#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "ward/redact/detector.hpp"

namespace ward::redact {

// A validated finding: text[begin, end) is an item of detectors[detector].
struct Hit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::uint32_t detector = 0;
};

// The selected detectors compiled into one Hyperscan block-mode database. Thread-safe: each
// scan borrows a scratch space from a small pool.
class Scanner {
 public:
  explicit Scanner(DetectorList detectors);
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;
  Scanner(Scanner&&) noexcept;
  Scanner& operator=(Scanner&&) noexcept;
  ~Scanner();

  [[nodiscard]] const DetectorList& detectors() const;
  // Validated, non-overlapping findings in `text`, ordered by position. Appends to `out`.
  void scan(std::string_view text, std::vector<Hit>& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ward::redact
