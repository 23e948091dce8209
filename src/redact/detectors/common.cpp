#include "detectors.hpp"

namespace ward::redact::detectors {
namespace {

class ComposedDetector final : public Detector {
 public:
  ComposedDetector(std::string name, std::string description, std::vector<Pattern> patterns,
                   Validator validate, Extent extent)
      : m_name(std::move(name)),
        m_description(std::move(description)),
        m_patterns(std::move(patterns)),
        m_validate(std::move(validate)),
        m_extent(extent) {}

  [[nodiscard]] std::string_view name() const override { return m_name; }
  [[nodiscard]] std::string_view description() const override { return m_description; }
  [[nodiscard]] std::vector<Pattern> patterns() const override { return m_patterns; }
  [[nodiscard]] Extent extent() const override { return m_extent; }
  [[nodiscard]] bool validate(std::string_view text, std::size_t& begin,
                              std::size_t& end) const override {
    return m_validate(text, begin, end);
  }

 private:
  std::string m_name;
  std::string m_description;
  std::vector<Pattern> m_patterns;
  Validator m_validate;
  Extent m_extent;
};

}  // namespace

std::shared_ptr<const Detector> make_detector(std::string name, std::string description,
                                              std::vector<Pattern> patterns, Validator validate,
                                              Extent extent) {
  return std::make_shared<ComposedDetector>(std::move(name), std::move(description),
                                            std::move(patterns), std::move(validate), extent);
}

std::string digits_of(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (is_digit(c)) out += c;
  }
  return out;
}

}  // namespace ward::redact::detectors
