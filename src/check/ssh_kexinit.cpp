#include "ward/check/ssh_kexinit.hpp"

#include "ward/error.hpp"

namespace ward::check::ssh_wire {
namespace {

constexpr std::uint8_t k_msg_kexinit = 20;
constexpr std::size_t k_cookie_size = 16;
// RFC 4253 §6.1: implementations must handle packets of 35000 bytes; real KEXINITs are < 2 KiB.
constexpr std::uint32_t k_max_packet = 35000;
constexpr std::size_t k_max_name_list = 16384;

std::uint32_t read_u32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return (std::uint32_t{bytes[at]} << 24) | (std::uint32_t{bytes[at + 1]} << 16) |
         (std::uint32_t{bytes[at + 2]} << 8) | std::uint32_t{bytes[at + 3]};
}

void write_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 24));
  out.push_back(static_cast<std::uint8_t>(value >> 16));
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

[[noreturn]] void malformed(const std::string& what) {
  fail(ErrorCode::usage, "malformed SSH KEXINIT: " + what);
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}

  std::uint8_t byte() {
    need(1);
    return m_bytes[m_at++];
  }
  void skip(std::size_t n) {
    need(n);
    m_at += n;
  }
  std::vector<std::string> name_list() {
    need(4);
    const auto length = read_u32(m_bytes, m_at);
    m_at += 4;
    if (length > k_max_name_list)
      malformed("name-list longer than " + std::to_string(k_max_name_list));
    need(length);
    std::vector<std::string> names;
    std::string current;
    for (std::size_t i = 0; i < length; ++i) {
      const auto c = static_cast<char>(m_bytes[m_at + i]);
      if (c == ',') {
        if (current.empty()) malformed("empty name in a name-list");
        names.push_back(std::move(current));
        current.clear();
      } else if (c < 0x21 || c > 0x7e) {
        malformed("non-printable character in a name-list");
      } else {
        current.push_back(c);
      }
    }
    if (length > 0) {
      if (current.empty()) malformed("empty name in a name-list");
      names.push_back(std::move(current));
    }
    m_at += length;
    return names;
  }

 private:
  void need(std::size_t n) const {
    if (m_bytes.size() - m_at < n) malformed("truncated");
  }
  std::span<const std::uint8_t> m_bytes;
  std::size_t m_at = 0;
};

void write_name_list(std::vector<std::uint8_t>& out, const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) {
    if (!joined.empty()) joined.push_back(',');
    joined += name;
  }
  write_u32(out, static_cast<std::uint32_t>(joined.size()));
  out.insert(out.end(), joined.begin(), joined.end());
}

}  // namespace

std::optional<Packet> parse_packet(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 5) return std::nullopt;
  const auto length = read_u32(bytes, 0);
  if (length < 5 || length > k_max_packet) {
    fail(ErrorCode::usage, "not an SSH packet: length " + std::to_string(length));
  }
  const auto padding = bytes[4];
  if (padding < 4 || padding + 1u > length) {
    fail(ErrorCode::usage, "not an SSH packet: padding " + std::to_string(padding));
  }
  if (bytes.size() < 4 + std::size_t{length}) return std::nullopt;
  Packet packet;
  const auto payload_size = length - padding - 1u;
  packet.payload.assign(bytes.begin() + 5, bytes.begin() + 5 + payload_size);
  packet.consumed = 4 + std::size_t{length};
  return packet;
}

KexInit parse_kexinit(std::span<const std::uint8_t> payload) {
  Reader reader(payload);
  if (reader.byte() != k_msg_kexinit) malformed("not a KEXINIT message");
  reader.skip(k_cookie_size);
  KexInit kexinit;
  kexinit.kex = reader.name_list();
  kexinit.host_key = reader.name_list();
  kexinit.ciphers_client_to_server = reader.name_list();
  kexinit.ciphers_server_to_client = reader.name_list();
  kexinit.macs_client_to_server = reader.name_list();
  kexinit.macs_server_to_client = reader.name_list();
  kexinit.compression_client_to_server = reader.name_list();
  kexinit.compression_server_to_client = reader.name_list();
  (void)reader.name_list();  // languages client to server
  (void)reader.name_list();  // languages server to client
  kexinit.first_kex_packet_follows = reader.byte() != 0;
  reader.skip(4);  // reserved
  return kexinit;
}

std::vector<std::uint8_t> encode_kexinit(const KexInit& kexinit) {
  std::vector<std::uint8_t> out{k_msg_kexinit};
  out.insert(out.end(), k_cookie_size, 0);
  for (const auto* list : {&kexinit.kex, &kexinit.host_key, &kexinit.ciphers_client_to_server,
                           &kexinit.ciphers_server_to_client, &kexinit.macs_client_to_server,
                           &kexinit.macs_server_to_client, &kexinit.compression_client_to_server,
                           &kexinit.compression_server_to_client}) {
    write_name_list(out, *list);
  }
  write_name_list(out, {});
  write_name_list(out, {});
  out.push_back(kexinit.first_kex_packet_follows ? 1 : 0);
  write_u32(out, 0);
  return out;
}

std::vector<std::uint8_t> encode_packet(std::span<const std::uint8_t> payload) {
  std::size_t padding = 8 - ((payload.size() + 5) % 8);
  if (padding < 4) padding += 8;
  std::vector<std::uint8_t> out;
  write_u32(out, static_cast<std::uint32_t>(payload.size() + padding + 1));
  out.push_back(static_cast<std::uint8_t>(padding));
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), padding, 0);
  return out;
}

std::optional<Identification> parse_identification(std::string_view line) {
  if (!line.starts_with("SSH-")) return std::nullopt;
  Identification id;
  id.line = std::string(line);
  const auto rest = line.substr(4);
  const auto dash = rest.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  id.protocol = std::string(rest.substr(0, dash));
  const auto software_and_comments = rest.substr(dash + 1);
  const auto space = software_and_comments.find(' ');
  id.software = std::string(software_and_comments.substr(0, space));
  if (space != std::string_view::npos)
    id.comments = std::string(software_and_comments.substr(space + 1));
  if (id.protocol.empty() || id.software.empty()) return std::nullopt;
  return id;
}

std::optional<std::size_t> rsa_modulus_bits(std::span<const std::uint8_t> blob) {
  // Each field is a uint32 length and that many bytes; the mpints are big-endian, with a
  // leading zero byte when the top bit is set.
  std::size_t at = 0;
  const auto field = [&]() -> std::optional<std::span<const std::uint8_t>> {
    if (blob.size() - at < 4) return std::nullopt;
    const auto length = read_u32(blob, at);
    at += 4;
    if (blob.size() - at < length) return std::nullopt;
    const auto out = blob.subspan(at, length);
    at += length;
    return out;
  };
  const auto type = field();
  if (!type || std::string(type->begin(), type->end()) != "ssh-rsa") return std::nullopt;
  if (!field()) return std::nullopt;  // e
  auto modulus = field();
  if (!modulus) return std::nullopt;
  auto n = *modulus;
  while (!n.empty() && n.front() == 0) n = n.subspan(1);
  if (n.empty()) return std::nullopt;
  std::size_t bits = (n.size() - 1) * 8;
  for (auto top = n.front(); top != 0; top = static_cast<std::uint8_t>(top >> 1)) ++bits;
  return bits;
}

}  // namespace ward::check::ssh_wire
