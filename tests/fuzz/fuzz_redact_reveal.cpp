// `ward redact reveal`'s token parser (reveal_token in src/redact/action.cpp) over untrusted
// lines. Text that is not a token is Error(usage), a token this key did not make is Error(auth),
// nothing else escapes; and every value the encrypt action seals reveals back to itself (the
// input is used as a value too, so the round trip covers every length and byte).
#include <cstdint>
#include <string>
#include <string_view>

#include "ward/crypto/secret.hpp"
#include "ward/error.hpp"
#include "ward/redact/action.hpp"

namespace {

namespace wr = ward::redact;
using ward::crypto::SecretBytes;

const SecretBytes& token_key() {
  static const SecretBytes key = SecretBytes::from("fuzz token key 0123456789abcdef!!");
  return key;
}

const wr::Redactor& sealer() {
  static const wr::Redactor redactor({wr::ActionKind::encrypt, 4, {}}, {nullptr, &token_key()});
  return redactor;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto value = wr::reveal_token(text, token_key());
    // Only our own tokens authenticate; sealing the value again gives the same token.
    if (sealer().apply(value.reveal()) != std::string(text) && !value.reveal().empty())
      __builtin_trap();
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::usage && e.code() != ward::ErrorCode::auth) __builtin_trap();
  }
  if (!text.empty()) {
    const auto token = sealer().apply(text);
    if (!token || !sealer().is_output(*token)) __builtin_trap();
    if (wr::reveal_token(*token, token_key()).reveal() != text) __builtin_trap();
  }
  return 0;
}
