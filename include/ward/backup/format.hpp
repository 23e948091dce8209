#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ward/crypto/secret.hpp"
#include "ward/util/duration.hpp"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

// The byte formats of backup objects (see ward-store(5) and docs/format.md): sealed blobs inside
// packs, index objects that hold each pack's data key and chunk table, file trees, snapshots.
namespace ward::backup {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Storage for large buffers: from 2 MiB up, aligned to 2 MiB and advised for transparent huge
// pages, so a 16 MiB pack is mapped with 8 page faults instead of 4096 (on a VM a fault costs
// tens of microseconds). Smaller sizes come from operator new.
void* allocate_buffer(std::size_t bytes);
void free_buffer(void* p, std::size_t bytes) noexcept;

// An allocator whose value-less construct leaves bytes uninitialised, so a buffer that is grown
// and then written at once (a pack, compression output, a chunk) does not pay for zeroing first.
template <typename T>
struct UninitAllocator : std::allocator<T> {
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = UninitAllocator<U>;
  };
  UninitAllocator() = default;
  template <typename U>
  UninitAllocator(const UninitAllocator<U>& /*other*/) noexcept {}  // NOLINT: rebinding
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_buffer(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { free_buffer(p, n * sizeof(T)); }
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
// A reusable byte buffer: kept across chunks and packs, its pages are faulted in once per run
// instead of once per pack (a page fault costs far more than the bytes it maps on some VMs).
using Buffer = std::vector<std::uint8_t, UninitAllocator<std::uint8_t>>;

inline constexpr std::size_t k_chunk_id_size = 32;
inline constexpr std::size_t k_pack_id_size = 16;
using ChunkId = std::array<std::uint8_t, k_chunk_id_size>;
using PackId = std::array<std::uint8_t, k_pack_id_size>;

struct ChunkIdHash {
  std::size_t operator()(const ChunkId& id) const noexcept {
    std::size_t h = 0;
    std::memcpy(&h, id.data(), sizeof(h));  // ids are keyed hashes: already uniform
    return h;
  }
};

std::string to_hex(ByteView bytes);
template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& bytes) {
  return to_hex(ByteView(bytes.data(), bytes.size()));
}
PackId pack_id_from_hex(std::string_view hex);  // throws Error(auth) when malformed

// A chunk's id: HMAC-SHA256 of its plaintext under the namespace's chunk-id key, so the store
// (which sees ids only inside encrypted index objects anyway) cannot confirm a guess of content.
ChunkId chunk_id(const crypto::SecretBytes& key, ByteView data);

enum class BlobKind : std::uint8_t { data = 1, tree = 2 };

// Where one chunk lives inside a pack, and how it was stored.
struct BlobEntry {
  ChunkId id{};
  BlobKind kind = BlobKind::data;
  bool compressed = false;
  std::uint32_t offset = 0;      // from the start of the pack
  std::uint32_t length = 0;      // sealed length: nonce || ciphertext || tag
  std::uint32_t raw_length = 0;  // the chunk's plaintext length
};

// Packs: "WARDPACK" | format 0x01 | pack id (16) | sealed blobs, back to back.
inline constexpr std::size_t k_pack_header_size = 8 + 1 + k_pack_id_size;
inline constexpr std::size_t k_blob_overhead = 12 + 16;
Bytes pack_header(const PackId& id);
// Throws Error(auth) when `pack` does not start with the header of pack `id`.
void check_pack_header(ByteView pack, const PackId& id);

// Appends the sealed blob (AES-256-GCM under the pack key; AAD binds pack id, chunk id, kind
// and compression flag) to `out`.
void seal_blob(const crypto::SecretBytes& pack_key, const PackId& pack, const BlobEntry& meta,
               ByteView payload, Bytes& out);
void seal_blob(const crypto::SecretBytes& pack_key, const PackId& pack, const BlobEntry& meta,
               ByteView payload, Buffer& out);
// The blob's payload (still compressed if it was stored compressed); Error(auth) on tampering.
Bytes open_blob(const crypto::SecretBytes& pack_key, const PackId& pack, const BlobEntry& meta,
                ByteView sealed);
// The same into `out` (replacing its content), for callers that reuse one buffer per thread.
void open_blob(const crypto::SecretBytes& pack_key, const PackId& pack, const BlobEntry& meta,
               ByteView sealed, Buffer& out);

// zstd with a context reused across chunks; one per thread.
class Compressor {
 public:
  Compressor();
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;
  // Compresses `raw` into `out` and returns true, or returns false when compression would not
  // pay (incompressible data is detected on a sample first, so it costs little).
  bool compress(ByteView raw, Bytes& out);
  bool compress(ByteView raw, Buffer& out);

 private:
  template <typename Out>
  bool compress_into(ByteView raw, Out& out);
  struct Deleter {
    void operator()(ZSTD_CCtx_s* ctx) const noexcept;
  };
  std::unique_ptr<ZSTD_CCtx_s, Deleter> m_ctx;
};

class Decompressor {
 public:
  Decompressor();
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  // The plaintext of a payload stored as `meta` says; Error(auth) when it does not decompress
  // to exactly raw_length bytes.
  Bytes decode(const BlobEntry& meta, Bytes payload);
  // The plaintext of `payload` into `out`; returns a view of it (`payload` itself when the chunk
  // was stored uncompressed, so nothing is copied).
  ByteView decode(const BlobEntry& meta, ByteView payload, Buffer& out);

 private:
  struct Deleter {
    void operator()(ZSTD_DCtx_s* ctx) const noexcept;
  };
  std::unique_ptr<ZSTD_DCtx_s, Deleter> m_ctx;
};

// One pack's entry in an index object.
struct PackIndex {
  PackId id{};
  crypto::SecretBytes key;  // the pack's data key
  std::uint64_t size = 0;   // bytes of the pack object
  std::vector<BlobEntry> blobs;
};

// Index object plaintext: "WBIX" | 0x01 | pack count (u32) | per pack: id (16) | key (32)
// | size (u64) | blob count (u32) | per blob: id (32) | kind (u8) | flags (u8) | offset (u32)
// | length (u32) | raw length (u32). Integers big-endian. Holds keys, so it is secret.
crypto::SecretBytes encode_index(std::span<const PackIndex* const> packs);
std::vector<PackIndex> decode_index(ByteView plaintext);  // Error(auth) when malformed

enum class EntryType : std::uint8_t { file = 1, directory = 2, symlink = 3 };

// One node of a snapshot's file tree. Paths are relative ('/'-separated, no leading '/'), raw
// bytes as the file system has them.
struct TreeEntry {
  EntryType type = EntryType::file;
  std::string path;
  std::uint32_t mode = 0;  // permission bits, including setuid/setgid/sticky
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t mtime_sec = 0;
  std::uint32_t mtime_nsec = 0;
  // Change detection only (never restored): a file whose size, mtime, ctime and inode match
  // the previous snapshot of its source is not read again.
  std::uint64_t inode = 0;
  std::int64_t ctime_sec = 0;
  std::uint32_t ctime_nsec = 0;
  std::uint64_t size = 0;
  std::string link_target;
  std::vector<ChunkId> chunks;
};

// Tree plaintext: "WBTR" | 0x02 | entry count (u64) | entries in path order (format 0x01 lacks
// inode and ctime). Stored as chunks of
// kind `tree`, so an unchanged tree deduplicates like file data.
Bytes encode_tree(const std::vector<TreeEntry>& entries);
std::vector<TreeEntry> decode_tree(ByteView plaintext);  // Error(auth) when malformed

struct SnapshotStats {
  std::uint64_t files = 0;
  std::uint64_t directories = 0;
  std::uint64_t symlinks = 0;
  std::uint64_t bytes = 0;         // plaintext bytes of file content
  std::uint64_t new_bytes = 0;     // plaintext bytes of chunks this snapshot stored first
  std::uint64_t dedup_bytes = 0;   // plaintext bytes of chunks already stored
  std::uint64_t stored_bytes = 0;  // bytes added to packs (compressed, sealed)
  std::uint64_t chunks = 0;
  std::uint64_t new_chunks = 0;
  std::uint64_t warnings = 0;  // files that could not be read
};

struct Snapshot {
  std::string id;  // 32 hex characters, random
  util::TimePoint time;
  // The sub-second part of the moment create ran (0 under --time): `time` is whole seconds,
  // and two runs in one second must still know which came last (the parent, `latest`).
  std::uint32_t time_nanos = 0;
  std::string source;
  std::string hostname;
  std::string username;
  std::vector<std::string> paths;
  std::vector<std::string> tags;
  std::vector<ChunkId> tree;  // the tree's chunks, in order
  std::uint64_t tree_size = 0;
  SnapshotStats stats;
};

// The order snapshots were taken in: by time, then by the sub-second part.
inline bool taken_before(const Snapshot& a, const Snapshot& b) {
  return a.time != b.time ? a.time < b.time : a.time_nanos < b.time_nanos;
}

// Snapshot plaintext: a JSON document, schema ward.backup.snapshot/v1.
Bytes encode_snapshot(const Snapshot& snapshot);
Snapshot decode_snapshot(ByteView plaintext);  // Error(auth) when malformed

}  // namespace ward::backup
