// The SSH server's identification line, binary packet framing and KEXINIT
// (src/check/ssh_kexinit.cpp): bytes from any server `ward check ssh` is pointed at.
#include <cstdint>
#include <span>
#include <string_view>

#include "ward/check/ssh_kexinit.hpp"
#include "ward/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace wire = ward::check::ssh_wire;
  const std::span<const std::uint8_t> bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)wire::parse_identification(text.substr(0, text.find('\n')));
  try {
    if (const auto packet = wire::parse_packet(bytes)) {
      if (packet->consumed > size) __builtin_trap();
      const auto kexinit = wire::parse_kexinit(packet->payload);
      // What was read must encode back to a KEXINIT that reads the same.
      const auto again = wire::parse_kexinit(wire::encode_kexinit(kexinit));
      if (again.kex != kexinit.kex || again.macs_server_to_client != kexinit.macs_server_to_client)
        __builtin_trap();
    }
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::usage) __builtin_trap();
  }
  try {
    (void)wire::parse_kexinit(bytes);  // the payload alone, as after framing
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::usage) __builtin_trap();
  }
  return 0;
}
