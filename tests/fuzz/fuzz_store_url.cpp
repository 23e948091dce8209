// Store URLs (src/store/registry.cpp, the s3:// and sftp:// parsers) and object names
// (validate_object_name): they come from flags, WARD_STORE, config files and, for names, from
// listings of a store someone else may write to. A name that passes must stay inside the store.
#include <cstdint>
#include <string>

#include "ward/error.hpp"
#include "ward/store/object_store.hpp"
#include "ward/store/s3_store.hpp"
#include "ward/store/sftp_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    if (text.starts_with("s3://")) {
      const auto location = ward::store::parse_s3_url(text);
      if (location.bucket.empty()) __builtin_trap();
      if (!location.prefix.empty() && !location.prefix.ends_with('/')) __builtin_trap();
      if (location.scheme == "http" && !location.loopback) __builtin_trap();
    } else if (text.starts_with("sftp://")) {
      const auto url = ward::store::parse_sftp_url(text);
      if (url.host.empty()) __builtin_trap();
    } else if (text.find("://") != std::string::npos || text.starts_with("file:")) {
      // file:// and unknown schemes: opening a file store touches nothing until first use.
      (void)ward::store::open_object_store(text, {});
    }
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::usage) __builtin_trap();
  }
  try {
    ward::store::validate_object_name(text);
    if (text.find("..") != std::string::npos) {
      for (std::size_t at = text.find(".."); at != std::string::npos; at = text.find("..", at + 1))
        if ((at == 0 || text[at - 1] == '/') && (at + 2 == text.size() || text[at + 2] == '/'))
          __builtin_trap();  // a ".." segment got through
    }
    if (text.starts_with('/')) __builtin_trap();
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::internal) __builtin_trap();
  }
  return 0;
}
