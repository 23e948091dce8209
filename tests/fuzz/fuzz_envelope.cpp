// Store object envelopes (src/keyring/envelope.cpp): every object a store holds starts with one,
// and its bytes come from whoever can write to the store. Parsing must either succeed or throw
// Error(auth); opening with the wrong key must throw Error(auth), never read out of bounds.
#include <cstdint>
#include <span>

#include "ward/crypto/secret.hpp"
#include "ward/error.hpp"
#include "ward/keyring/envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ward::keyring;
  static const ward::crypto::SecretBytes key(
      ward::crypto::k_key_size);  // all zero: the seeds use it
  const std::span<const std::uint8_t> bytes(data, size);
  try {
    const auto envelope = parse_envelope(bytes);
    const auto type = static_cast<ObjectType>(1 + static_cast<std::uint8_t>(envelope.header.type) %
                                                      k_max_object_type);
    (void)open_object(key, envelope, type, "creds/default/AAAA/v000001");
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::auth) __builtin_trap();
  }
  return 0;
}
