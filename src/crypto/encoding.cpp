#include "ward/crypto/encoding.hpp"

#include <array>

namespace ward::crypto {

namespace {

constexpr char k_hex_digits[] = "0123456789abcdef";
constexpr char k_base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char k_base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::uint8_t k_invalid = 0xff;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::array<std::uint8_t, 256> make_base64_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = k_invalid;
  for (std::uint8_t i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(k_base64_alphabet[i])] = i;
  }
  return table;
}
constexpr std::array<std::uint8_t, 256> k_base64_table = make_base64_table();

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Key files and environment variables usually end with a newline; nothing else is tolerated.
std::string_view trim_trailing_space(std::string_view text) {
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// Validates padded base64 and returns the decoded size, or nullopt if the text is invalid.
// Separate from decoding so the output can be allocated once, in the caller's memory type.
std::optional<std::size_t> base64_decoded_size(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') {
    padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  }
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    if (k_base64_table[static_cast<unsigned char>(text[i])] == k_invalid) {
      return std::nullopt;
    }
  }
  if (padding != 0) {
    // Non-canonical encodings (stray bits under the padding) would let two texts decode to
    // the same bytes; reject them.
    const std::uint8_t last =
        k_base64_table[static_cast<unsigned char>(text[text.size() - padding - 1])];
    const std::uint8_t unused_mask = padding == 2 ? 0x0f : 0x03;
    if ((last & unused_mask) != 0) {
      return std::nullopt;
    }
  }
  return text.size() / 4 * 3 - padding;
}

// Decodes text already accepted by base64_decoded_size into out.
void base64_decode_into(std::string_view text, std::uint8_t* out) {
  std::size_t o = 0;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t group = 0;
    int chars = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=') break;
      group |= std::uint32_t{k_base64_table[static_cast<unsigned char>(c)]} << (18 - 6 * j);
      ++chars;
    }
    out[o++] = static_cast<std::uint8_t>(group >> 16);
    if (chars > 2) out[o++] = static_cast<std::uint8_t>(group >> 8);
    if (chars > 3) out[o++] = static_cast<std::uint8_t>(group);
  }
}

}  // namespace

std::string hex_encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out.push_back(k_hex_digits[b >> 4]);
    out.push_back(k_hex_digits[b & 0x0f]);
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = hex_value(text[i]);
    const int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::string base64_encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t group =
        std::uint32_t{data[i]} << 16 | std::uint32_t{data[i + 1]} << 8 | data[i + 2];
    out.push_back(k_base64_alphabet[group >> 18 & 0x3f]);
    out.push_back(k_base64_alphabet[group >> 12 & 0x3f]);
    out.push_back(k_base64_alphabet[group >> 6 & 0x3f]);
    out.push_back(k_base64_alphabet[group & 0x3f]);
  }
  const std::size_t rest = data.size() - i;
  if (rest != 0) {
    std::uint32_t group = std::uint32_t{data[i]} << 16;
    if (rest == 2) group |= std::uint32_t{data[i + 1]} << 8;
    out.push_back(k_base64_alphabet[group >> 18 & 0x3f]);
    out.push_back(k_base64_alphabet[group >> 12 & 0x3f]);
    out.push_back(rest == 2 ? k_base64_alphabet[group >> 6 & 0x3f] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  text = trim_trailing_space(text);
  const auto size = base64_decoded_size(text);
  if (!size) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> out(*size);
  base64_decode_into(text, out.data());
  return out;
}

std::optional<SecretBytes> base64_decode_secret(std::string_view text) {
  text = trim_trailing_space(text);
  const auto size = base64_decoded_size(text);
  if (!size) {
    return std::nullopt;
  }
  SecretBytes out(*size);
  base64_decode_into(text, out.data());
  return out;
}

std::string base32_encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    buffer = (buffer << 8 | b) & 0xfff;  // at most 4 + 8 live bits
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(k_base32_alphabet[buffer >> bits & 0x1f]);
    }
  }
  if (bits > 0) {
    out.push_back(k_base32_alphabet[buffer << (5 - bits) & 0x1f]);
  }
  return out;
}

}  // namespace ward::crypto
