#pragma once

// Factories of the built-in detectors, one family per file in this folder.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ward/redact/detector.hpp"

namespace ward::redact::detectors {

std::shared_ptr<const Detector> email();
std::shared_ptr<const Detector> phone();
std::shared_ptr<const Detector> payment_card();
std::shared_ptr<const Detector> iban();
std::shared_ptr<const Detector> us_ssn();
std::shared_ptr<const Detector> ipv4();
std::shared_ptr<const Detector> ipv6();
std::shared_ptr<const Detector> private_key();
std::shared_ptr<const Detector> cloud_key();
std::shared_ptr<const Detector> jwt();
std::shared_ptr<const Detector> bearer_token();

// A detector made of its parts: most detectors are patterns plus one validating function.
using Validator = std::function<bool(std::string_view text, std::size_t& begin, std::size_t& end)>;
std::shared_ptr<const Detector> make_detector(std::string name, std::string description,
                                              std::vector<Pattern> patterns, Validator validate,
                                              Extent extent = Extent::longest);

// Digits of text[begin, end), separators skipped.
std::string digits_of(std::string_view text);
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace ward::redact::detectors
