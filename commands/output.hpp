#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ward/error.hpp"

namespace ward::cli {

// Output writers shared by every command: stdout carries results only.

// A readable table; bold headers only when stdout is a terminal and NO_COLOR is unset.
struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  void print() const;
};

// Prints exactly one JSON document on stdout.
void print_json(const nlohmann::json& document);
// Prints a line of human output on stdout.
void print_line(const std::string& line);

bool stdout_is_terminal();
bool color_enabled();

// `ward: error: …` / `ward: hint: …` on stderr, plus a ward.error/v1 document with --json.
void print_error(const Error& error, bool json);

}  // namespace ward::cli
