// The key hierarchy as `Keyring::open` reads it from a store (src/keyring/): the config object,
// unlock entries (JSON with a wrapped master key), root keys, namespace meta objects and KEKs.
// A real store is made once in memory; each input then damages one of its objects, or adds a
// newer generation of one, and the store is opened. The outcome must be an open keyring or
// ward::Error with the documented codes (auth for damage, usage for an unknown format),
// never a crash, a stray exception or a leak.
#include <cstdint>
#include <span>

#include "memory_store.hpp"
#include "ward/error.hpp"
#include "ward/keyring/keyring.hpp"

namespace {

ward::keyring::UnlockMaterial material() {
  ward::keyring::UnlockMaterial m;
  m.kind = ward::keyring::UnlockMaterial::Kind::key_file;
  m.secret = ward::crypto::SecretBytes(ward::keyring::k_key_file_key_size);
  m.source = "fuzz key";
  return m;
}

const ward::fuzz::MemoryStore& base_store() {
  static const ward::fuzz::MemoryStore store = [] {
    ward::fuzz::MemoryStore s;
    auto keyring = ward::keyring::Keyring::initialize(s, material(), {});
    keyring->ns(ward::keyring::k_default_namespace).rotate_kek();  // two KEK versions
    (void)keyring->create_namespace("tenant");
    return s;
  }();
  return store;
}

}  // namespace

// Input: object index, mode, offset (u16 BE), then data.
//   mode 0: replace the object with data        mode 1: add data as a newer generation
//   mode 2: XOR data into the object at offset  mode 3: truncate the object at offset
//   mode 4: remove the object
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  ward::fuzz::MemoryStore store = base_store();
  auto it = store.objects.begin();
  std::advance(it, data[0] % store.objects.size());
  const std::size_t offset = (std::size_t{data[2]} << 8) | data[3];
  const std::span<const std::uint8_t> rest(data + 4, size - 4);
  auto& object = it->second;
  switch (data[1] % 5) {
    case 0:
      object.assign(rest.begin(), rest.end());
      break;
    case 1: {
      auto name = it->first;
      if (const auto dot = name.rfind(".g"); dot != std::string::npos) name.resize(dot);
      store.objects[name + ".g9"] = ward::store::Bytes(rest.begin(), rest.end());
      break;
    }
    case 2:
      for (std::size_t i = 0; i < rest.size() && !object.empty(); ++i)
        object[(offset + i) % object.size()] ^= rest[i];
      break;
    case 3:
      object.resize(std::min(object.size(), offset));
      break;
    default:
      store.objects.erase(it);
      break;
  }
  try {
    auto keyring = ward::keyring::Keyring::open(store, material());
    (void)keyring->unlock_entries();
    for (const auto& name : keyring->namespace_names()) {
      auto& ns = keyring->ns(name);
      (void)ns.kek_versions();
      (void)ns.kek_usage();
    }
  } catch (const ward::Error& e) {
    using ward::ErrorCode;
    if (e.code() != ErrorCode::auth && e.code() != ErrorCode::usage &&
        e.code() != ErrorCode::not_found)
      __builtin_trap();
  }
  return 0;
}
