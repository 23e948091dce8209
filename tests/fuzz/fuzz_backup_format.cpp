// Backup objects after decryption (src/backup/format.cpp): index, tree and snapshot plaintexts,
// pack headers, sealed blobs and compressed payloads. Authenticated in the store, but a bug in
// a writer, a key shared too widely or an old format must still meet Error(auth), not UB.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "ward/backup/format.hpp"
#include "ward/error.hpp"

namespace {

template <typename F>
void expect_auth(F&& f) {
  try {
    f();
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::auth) __builtin_trap();
  }
}

// WARD_FUZZ_WRITE_SEEDS=DIR writes seeds made by the encoders themselves (make_seeds.py).
void write_seed(const std::string& dir, const std::string& name, std::uint8_t selector,
                ward::backup::ByteView bytes) {
  std::FILE* out = std::fopen((dir + "/" + name).c_str(), "wb");
  if (out == nullptr) return;
  std::fputc(selector, out);
  std::fwrite(bytes.data(), 1, bytes.size(), out);
  std::fclose(out);
}

void write_seeds(const std::string& dir) {
  using namespace ward::backup;
  PackIndex pack;
  pack.id[0] = 0x42;
  pack.key = ward::crypto::SecretBytes(32);
  pack.size = 4096;
  BlobEntry blob;
  blob.id[0] = 7;
  blob.offset = k_pack_header_size;
  blob.length = 100;
  blob.raw_length = 72;
  pack.blobs = {blob, blob};
  const PackIndex* packs[] = {&pack};
  write_seed(dir, "index", 0, encode_index(packs).bytes());
  TreeEntry dir_entry;
  dir_entry.type = EntryType::directory;
  dir_entry.path = "etc";
  dir_entry.mode = 0755;
  TreeEntry file;
  file.path = "etc/passwd";
  file.mode = 0644;
  file.size = 1234;
  file.chunks = {ChunkId{}, ChunkId{}};
  TreeEntry link;
  link.type = EntryType::symlink;
  link.path = "etc/localtime";
  link.link_target = "/usr/share/zoneinfo/UTC";
  write_seed(dir, "tree", 1, encode_tree({dir_entry, file, link}));
  Snapshot snapshot;
  snapshot.id = std::string(32, 'a');
  snapshot.source = "/srv/data";
  snapshot.hostname = "db1";
  snapshot.username = "backup";
  snapshot.paths = {"/srv/data"};
  snapshot.tags = {"daily"};
  snapshot.tree = {ChunkId{}};
  snapshot.tree_size = 300;
  write_seed(dir, "snapshot", 2, encode_snapshot(snapshot));
  auto header = pack_header(PackId{});
  write_seed(dir, "pack_header", 3, header);
  Bytes sealed;
  BlobEntry meta;
  const std::uint8_t payload[] = {'h', 'e', 'l', 'l', 'o'};
  seal_blob(ward::crypto::SecretBytes(32), PackId{}, meta, payload, sealed);
  write_seed(dir, "blob", 4, sealed);
  Compressor compressor;
  Bytes compressed;
  const Bytes text(4096, 'x');
  if (compressor.compress(text, compressed)) {
    compressed.insert(compressed.begin(), 0x10);  // raw length 0x10 << 8 = 4096
    write_seed(dir, "zstd", 5, compressed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* dir = std::getenv("WARD_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ward::backup;
  if (size == 0) return 0;
  const ByteView bytes(data + 1, size - 1);
  // The first byte picks the decoder, so one corpus holds objects of every kind.
  switch (data[0] % 6) {
    case 0:
      expect_auth([&] {
        const auto packs = decode_index(bytes);
        std::vector<const PackIndex*> pointers;
        for (const auto& pack : packs) pointers.push_back(&pack);
        const auto again = decode_index(encode_index(pointers).bytes());
        if (again.size() != packs.size()) __builtin_trap();
      });
      break;
    case 1:
      expect_auth([&] {
        const auto entries = decode_tree(bytes);
        if (decode_tree(encode_tree(entries)).size() != entries.size()) __builtin_trap();
      });
      break;
    case 2:
      expect_auth([&] {
        const auto snapshot = decode_snapshot(bytes);
        if (decode_snapshot(encode_snapshot(snapshot)).id != snapshot.id) __builtin_trap();
      });
      break;
    case 3:
      expect_auth([&] {
        PackId id{};
        if (bytes.size() > k_pack_header_size)
          std::copy_n(bytes.begin() + 9, id.size(), id.begin());
        check_pack_header(bytes, id);
      });
      expect_auth([&] {
        (void)pack_id_from_hex(
            std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
      });
      break;
    case 4:
      expect_auth([&] {
        static const ward::crypto::SecretBytes key(32);
        BlobEntry meta;
        meta.length = static_cast<std::uint32_t>(bytes.size());
        (void)open_blob(key, PackId{}, meta, bytes);
      });
      break;
    default:
      expect_auth([&] {
        static Decompressor decompressor;
        BlobEntry meta;
        meta.compressed = true;
        if (bytes.empty()) return;
        meta.raw_length = std::uint32_t{bytes[0]} << 8;  // the first byte: raw length / 256
        (void)decompressor.decode(meta, Bytes(bytes.begin() + 1, bytes.end()));
      });
      break;
  }
  return 0;
}
