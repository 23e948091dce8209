#include "output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace ward::cli {

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

bool color_enabled() {
  const char* no_color = std::getenv("NO_COLOR");
  return stdout_is_terminal() && (no_color == nullptr || *no_color == '\0');
}

void Table::print() const {
  std::vector<std::size_t> widths(headers.size(), 0);
  for (std::size_t i = 0; i < headers.size(); ++i) widths[i] = headers[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  const auto line = [&](const std::vector<std::string>& cells, bool bold) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::string cell = cells[i];
      if (i + 1 < cells.size()) cell.resize(std::max(widths[i], cell.size()), ' ');
      out += cell;
      if (i + 1 < cells.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (bold && color_enabled()) out = "\033[1m" + out + "\033[0m";
    std::cout << out << '\n';
  };
  line(headers, true);
  for (const auto& row : rows) line(row, false);
  std::cout.flush();
}

void print_json(const nlohmann::json& document) { std::cout << document.dump(2) << std::endl; }

void print_line(const std::string& line) { std::cout << line << '\n' << std::flush; }

void print_error(const Error& error, bool json) {
  std::cerr << "ward: error: " << error.what() << '\n';
  if (!error.hint().empty()) std::cerr << "ward: hint: " << error.hint() << '\n';
  if (json) {
    nlohmann::json document{
        {"schema", "ward.error/v1"}, {"code", error.exit_code()}, {"message", error.what()}};
    if (!error.hint().empty()) document["hint"] = error.hint();
    std::cerr << document.dump() << '\n';
  }
  std::cerr.flush();
}

}  // namespace ward::cli
