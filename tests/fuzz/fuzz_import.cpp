// `ward cred import`'s readers (src/vault/transfer.cpp: .env and JSON) and `cred leaks`'s
// scanner (src/vault/leaks.cpp) over untrusted files. The first byte picks the reader. Only
// Error(usage) may escape a reader; whatever a JSON import accepts, written back by
// write_export and read again, gives the same credentials; the scanner finds a planted secret
// wherever the input puts it between delimiters, in any chunking.
#include <cstdint>
#include <string_view>

#include "ward/crypto/random.hpp"
#include "ward/error.hpp"
#include "ward/vault/leaks.hpp"
#include "ward/vault/transfer.hpp"

namespace {

using ward::crypto::SecretBytes;
namespace wv = ward::vault;

void round_trip(const std::vector<wv::ImportItem>& items) {
  std::vector<wv::ExportEntry> entries;
  for (const auto& item : items) {
    wv::ExportEntry entry;
    entry.record.name = item.name;
    entry.record.type = item.type;
    entry.record.secret_field = item.secret_field;
    entry.record.fields = item.fields;
    for (const auto& [k, v] : item.secrets) {
      entry.record.secrets.emplace(k, v.clone());
      entry.record.current_secret_names.insert(k);
    }
    entry.record.rotate_every = item.rotate_every;
    entry.record.generation_policy = item.generation_policy;
    entries.push_back(std::move(entry));
  }
  const auto document = wv::write_export({"ns", "2026-01-01T00:00:00Z", true}, entries);
  const auto again = wv::parse_json_import(document, "again", {});
  if (again.size() != items.size()) __builtin_trap();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& a = items[i];
    const auto& b = again[i];
    if (a.name != b.name || a.type != b.type || a.fields != b.fields ||
        a.secrets.size() != b.secrets.size() || a.rotate_every != b.rotate_every ||
        a.generation_policy != b.generation_policy) {
      __builtin_trap();
    }
    for (const auto& [k, v] : a.secrets) {
      const auto found = b.secrets.find(k);
      if (found == b.secrets.end() || found->second.reveal() != v.reveal()) __builtin_trap();
    }
  }
}

const wv::LeakIndex& index() {
  static const wv::LeakIndex built = [] {
    wv::LeakIndex i(ward::crypto::random_secret(32));
    i.add({"c", "id", 1, true, "password", {}}, SecretBytes::from("Fz9:k=q@Lm\"x"));
    return i;
  }();
  return built;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto mode = data[0] % 3;
  const SecretBytes text(data + 1, size - 1);
  try {
    if (mode == 0) {
      wv::validate_import(wv::parse_dotenv(text, "f", {}));
    } else if (mode == 1) {
      const auto items = wv::parse_json_import(text, "f", {});
      bool valid = true;
      try {
        wv::validate_import(items);
      } catch (const ward::Error&) {
        valid = false;
      }
      if (valid) round_trip(items);
    } else {
      // The planted secret after the input's first half, bounded by a blank and a newline.
      const auto half = text.size() / 2;
      SecretBytes planted(text.data(), half);
      planted.append("\n \"Fz9:k=q@Lm\"x\"\n");
      planted.append(text.bytes().subspan(half));
      wv::ScanStats stats;
      wv::LeakScanner scanner(index(), "f", stats);
      const std::size_t chunk = 1 + (data[0] / 3) % 17;
      for (std::size_t pos = 0; pos < planted.size(); pos += chunk) {
        scanner.feed(planted.bytes().subspan(pos, std::min(chunk, planted.size() - pos)));
      }
      if (scanner.finish().empty()) __builtin_trap();
    }
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::usage) __builtin_trap();
  }
  return 0;
}
