#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ward::redact {

// One regular expression of a detector, in the syntax Hyperscan accepts (PCRE without
// back-references or look-around). Every pattern of every selected detector is compiled into one
// multi-pattern database, so the data is read once however many detectors run.
struct Pattern {
  std::string regex;
  bool caseless = false;
  bool dotall = false;
  // The leftmost start of the pattern's match that ends at `end`, for patterns whose start
  // Hyperscan would have to track at every byte (an e-mail address may start at any letter of a
  // run of words, and tracking that costs more than the rest of the scan). A pattern with one
  // is matched for its ends only; without one, Hyperscan reports the leftmost start itself.
  std::size_t (*leftmost_start)(std::string_view text, std::size_t end) = nullptr;
};

// Which match to keep when one pattern matches several spans from the same start.
enum class Extent { longest, shortest };

// A detector: the patterns that find candidates and the validator that turns a candidate into
// a finding (checksums, value ranges, boundaries). Adding a detector is one file and one line in
// src/redact/detectors/registry.cpp.
class Detector {
 public:
  Detector() = default;
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;
  Detector(Detector&&) = delete;
  Detector& operator=(Detector&&) = delete;
  virtual ~Detector() = default;

  [[nodiscard]] virtual std::string_view name() const = 0;
  [[nodiscard]] virtual std::string_view description() const = 0;
  [[nodiscard]] virtual std::vector<Pattern> patterns() const = 0;
  [[nodiscard]] virtual Extent extent() const { return Extent::longest; }
  // Decides whether the candidate text[begin, end) is a real item. May narrow the span (a
  // bearer token drops its "Bearer " prefix). `text` is the whole buffer the candidate was
  // found in, so boundaries can be checked.
  [[nodiscard]] virtual bool validate(std::string_view text, std::size_t& begin,
                                      std::size_t& end) const = 0;
};

using DetectorList = std::vector<std::shared_ptr<const Detector>>;

// Every built-in detector, in priority order (on overlapping findings the earlier one wins).
const DetectorList& builtin_detectors();
// A user-defined detector: a regex with no validation beyond the match itself. Throws
// Error(usage) for an empty name or a name of a built-in detector.
std::shared_ptr<const Detector> make_regex_detector(std::string name, std::string regex);
// The built-ins named in `names` ("all" or an empty list: every built-in), then `custom`.
// Throws Error(usage) for an unknown name, listing the known ones.
DetectorList select_detectors(const std::vector<std::string>& names,
                              const DetectorList& custom = {});

// Helpers for validators.
bool is_word_byte(char c);
// Whether the byte before `begin` and the byte at `end` are not word characters.
bool at_word_boundaries(std::string_view text, std::size_t begin, std::size_t end);

}  // namespace ward::redact
