#include "ward/backup/format.hpp"

#include <openssl/evp.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <new>
#include <nlohmann/json.hpp>
#include <utility>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/hash.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"
#include "ward/util/huge_pages.hpp"
#include "ward/util/json_integer.hpp"
#include "ward/util/json_string.hpp"

namespace ward::backup {
namespace {

constexpr std::array<std::uint8_t, 8> k_pack_magic = {'W', 'A', 'R', 'D', 'P', 'A', 'C', 'K'};
constexpr std::array<std::uint8_t, 4> k_index_magic = {'W', 'B', 'I', 'X'};
constexpr std::array<std::uint8_t, 4> k_tree_magic = {'W', 'B', 'T', 'R'};
constexpr std::uint8_t k_format = 1;
constexpr std::uint8_t k_tree_format = 2;
constexpr std::size_t k_nonce = 12;
constexpr std::size_t k_tag = 16;
constexpr std::size_t k_sample = 16 * 1024;
constexpr std::size_t k_huge_page = 2 * 1024 * 1024;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

[[noreturn]] void malformed(const char* what) {
  fail(ErrorCode::auth, std::string("backup object is malformed: ") + what);
}

// Big-endian writer and bounds-checked reader for the binary formats.
template <typename Buffer>
struct Writer {
  Buffer& out;
  void u8(std::uint8_t v) { out.push_back(v); }
  void u32(std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
  }
  void u64(std::uint64_t v) {
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
  }
  void raw(ByteView bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    raw({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
};

struct Reader {
  ByteView in;
  std::size_t pos = 0;
  void need(std::size_t n) const {
    if (in.size() - pos < n) malformed("truncated");
  }
  std::uint8_t u8() {
    need(1);
    return in[pos++];
  }
  std::uint32_t u32() {
    need(4);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | in[pos++];
    return v;
  }
  std::uint64_t u64() {
    need(8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | in[pos++];
    return v;
  }
  template <std::size_t N>
  void raw(std::array<std::uint8_t, N>& out) {
    need(N);
    std::memcpy(out.data(), in.data() + pos, N);
    pos += N;
  }
  ByteView take(std::size_t n) {
    need(n);
    auto view = in.subspan(pos, n);
    pos += n;
    return view;
  }
  std::string str() {
    const auto n = u32();
    const auto bytes = take(n);
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  [[nodiscard]] bool done() const { return pos == in.size(); }
};

Bytes blob_aad(const PackId& pack, const BlobEntry& meta) {
  constexpr std::string_view label = "ward.blob.v1";
  Bytes aad(label.begin(), label.end());
  aad.insert(aad.end(), pack.begin(), pack.end());
  aad.insert(aad.end(), meta.id.begin(), meta.id.end());
  aad.push_back(static_cast<std::uint8_t>(meta.kind));
  aad.push_back(meta.compressed ? 1 : 0);
  return aad;
}

int checked_int(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX)) fail(ErrorCode::internal, "blob too large");
  return static_cast<int>(n);
}

void check_key(const crypto::SecretBytes& key) {
  if (key.size() != 32) fail(ErrorCode::internal, "pack key must be 32 bytes");
}

}  // namespace

void* allocate_buffer(std::size_t bytes) {
  if (bytes < k_huge_page) return ::operator new(bytes);
  const std::size_t rounded = (bytes + k_huge_page - 1) / k_huge_page * k_huge_page;
  void* p = std::aligned_alloc(k_huge_page, rounded);
  if (p == nullptr) throw std::bad_alloc();
  util::advise_huge_pages(p, rounded);
  return p;
}

void free_buffer(void* p, std::size_t bytes) noexcept {
  if (bytes < k_huge_page) {
    ::operator delete(p);
  } else {
    std::free(p);  // NOLINT: aligned_alloc's memory
  }
}

std::string to_hex(ByteView bytes) { return crypto::hex_encode(bytes); }

PackId pack_id_from_hex(std::string_view hex) {
  const auto bytes = crypto::hex_decode(hex);
  if (!bytes || bytes->size() != k_pack_id_size) malformed("bad pack id");
  PackId id{};
  std::copy(bytes->begin(), bytes->end(), id.begin());
  return id;
}

ChunkId chunk_id(const crypto::SecretBytes& key, ByteView data) {
  return crypto::hmac_sha256(key.bytes(), data);
}

Bytes pack_header(const PackId& id) {
  Bytes out(k_pack_magic.begin(), k_pack_magic.end());
  out.push_back(k_format);
  out.insert(out.end(), id.begin(), id.end());
  return out;
}

void check_pack_header(ByteView pack, const PackId& id) {
  if (pack.size() < k_pack_header_size ||
      !std::equal(k_pack_magic.begin(), k_pack_magic.end(), pack.begin())) {
    fail(ErrorCode::auth, "pack " + to_hex(id) + " is not a ward pack");
  }
  if (pack[8] != k_format) fail(ErrorCode::auth, "pack " + to_hex(id) + " has an unknown format");
  if (!std::equal(id.begin(), id.end(), pack.begin() + 9)) {
    fail(ErrorCode::auth, "pack " + to_hex(id) + " holds another pack's data");
  }
}

namespace {

// nonce || AES-256-GCM(payload) || tag into dest, which holds exactly payload + overhead bytes.
void seal_into(const crypto::SecretBytes& pack_key, const PackId& pack, const BlobEntry& meta,
               ByteView payload, std::uint8_t* dest) {
  check_key(pack_key);
  const auto aad = blob_aad(pack, meta);
  std::uint8_t* nonce = dest;
  crypto::random_fill({nonce, k_nonce});
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, pack_key.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), checked_int(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), dest + k_nonce, &len, payload.data(),
                        checked_int(payload.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), dest + k_nonce + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_tag),
                          dest + k_nonce + payload.size()) != 1) {
    fail(ErrorCode::internal, "AES-256-GCM: sealing a blob failed");
  }
}

template <typename Out>
void seal_append(const crypto::SecretBytes& pack_key, const PackId& pack, const BlobEntry& meta,
                 ByteView payload, Out& out) {
  const std::size_t start = out.size();
  out.resize(start + k_nonce + payload.size() + k_tag);
  seal_into(pack_key, pack, meta, payload, out.data() + start);
}

// The plaintext of a sealed blob into dest (sealed.size() - overhead bytes).
void open_into(const crypto::SecretBytes& pack_key, const PackId& pack, const BlobEntry& meta,
               ByteView sealed, std::uint8_t* dest) {
  const auto aad = blob_aad(pack, meta);
  const std::size_t n = sealed.size() - k_nonce - k_tag;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  std::array<std::uint8_t, k_tag> tag{};
  std::memcpy(tag.data(), sealed.data() + k_nonce + n, k_tag);
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, pack_key.data(), sealed.data()) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), checked_int(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), dest, &len, sealed.data() + k_nonce, checked_int(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(k_tag), tag.data()) !=
          1 ||
      EVP_DecryptFinal_ex(ctx.get(), dest + len, &final_len) != 1) {
    fail(ErrorCode::auth,
         "chunk " + to_hex(meta.id).substr(0, 16) + " in pack " + to_hex(pack) +
             " failed authentication",
         "the backup data was damaged or tampered with; run `ward backup verify --read-data`");
  }
}

void check_sealed(const crypto::SecretBytes& pack_key, const PackId& pack, ByteView sealed) {
  check_key(pack_key);
  if (sealed.size() < k_nonce + k_tag) {
    fail(ErrorCode::auth, "a blob in pack " + to_hex(pack) + " is truncated");
  }
}

}  // namespace

void seal_blob(const crypto::SecretBytes& pack_key, const PackId& pack, const BlobEntry& meta,
               ByteView payload, Bytes& out) {
  seal_append(pack_key, pack, meta, payload, out);
}

void seal_blob(const crypto::SecretBytes& pack_key, const PackId& pack, const BlobEntry& meta,
               ByteView payload, Buffer& out) {
  seal_append(pack_key, pack, meta, payload, out);
}

Bytes open_blob(const crypto::SecretBytes& pack_key, const PackId& pack, const BlobEntry& meta,
                ByteView sealed) {
  check_sealed(pack_key, pack, sealed);
  Bytes out(sealed.size() - k_nonce - k_tag);
  open_into(pack_key, pack, meta, sealed, out.data());
  return out;
}

void open_blob(const crypto::SecretBytes& pack_key, const PackId& pack, const BlobEntry& meta,
               ByteView sealed, Buffer& out) {
  check_sealed(pack_key, pack, sealed);
  out.resize(sealed.size() - k_nonce - k_tag);
  open_into(pack_key, pack, meta, sealed, out.data());
}

void Compressor::Deleter::operator()(ZSTD_CCtx_s* ctx) const noexcept { ZSTD_freeCCtx(ctx); }
void Decompressor::Deleter::operator()(ZSTD_DCtx_s* ctx) const noexcept { ZSTD_freeDCtx(ctx); }

// zstd's double-fast strategy, as its level 3 uses, with smaller tables (128 + 64 KiB) and
// 6-byte instead of 5-byte short matches. Measured on the benchmark's SQL text in 1 MiB chunks:
// 1.2-1.5x level 3's speed (CPU time on a loaded machine) and 0.8 % smaller; on binaries and
// general text 2-4 % larger than level 3, as the price of the speed. The format does not depend
// on these: any zstd decompresses what any parameters produced.
constexpr std::array<std::pair<ZSTD_cParameter, int>, 6> k_zstd_parameters = {{
    {ZSTD_c_strategy, ZSTD_dfast},
    {ZSTD_c_windowLog, 22},  // covers a largest chunk of 4 MiB
    {ZSTD_c_hashLog, 15},
    {ZSTD_c_chainLog, 14},
    {ZSTD_c_searchLog, 1},
    {ZSTD_c_minMatch, 6},
}};

Compressor::Compressor() : m_ctx(ZSTD_createCCtx()) {
  if (!m_ctx) fail(ErrorCode::internal, "zstd: cannot allocate a compression context");
  for (const auto& [parameter, value] : k_zstd_parameters) {
    const auto rc = ZSTD_CCtx_setParameter(m_ctx.get(), parameter, value);
    if (ZSTD_isError(rc)) fail(ErrorCode::internal, std::string("zstd: ") + ZSTD_getErrorName(rc));
  }
}
Compressor::~Compressor() = default;

template <typename Out>
bool Compressor::compress_into(ByteView raw, Out& out) {
  if (raw.size() < 64) return false;
  // Incompressible data (already compressed, encrypted, random) must not pay for compression:
  // a fast pass over a sample decides.
  if (raw.size() > 4 * k_sample) {
    out.resize(ZSTD_compressBound(k_sample));
    const std::size_t mid = raw.size() / 2;
    const auto n =
        ZSTD_compressCCtx(m_ctx.get(), out.data(), out.size(), raw.data() + mid, k_sample, 1);
    if (ZSTD_isError(n) || n > k_sample * 97 / 100) return false;
  }
  out.resize(ZSTD_compressBound(raw.size()));
  // ZSTD_compress2 uses the parameters set above; the sample's ZSTD_compressCCtx does not change
  // them.
  const auto n = ZSTD_compress2(m_ctx.get(), out.data(), out.size(), raw.data(), raw.size());
  if (ZSTD_isError(n)) fail(ErrorCode::internal, std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n >= raw.size() - raw.size() / 32) return false;
  out.resize(n);
  return true;
}

bool Compressor::compress(ByteView raw, Bytes& out) { return compress_into(raw, out); }
bool Compressor::compress(ByteView raw, Buffer& out) { return compress_into(raw, out); }

Decompressor::Decompressor() : m_ctx(ZSTD_createDCtx()) {
  if (!m_ctx) fail(ErrorCode::internal, "zstd: cannot allocate a decompression context");
}
Decompressor::~Decompressor() = default;

Bytes Decompressor::decode(const BlobEntry& meta, Bytes payload) {
  if (!meta.compressed) {
    if (payload.size() != meta.raw_length) malformed("chunk length does not match the index");
    return payload;
  }
  Bytes out(meta.raw_length);
  const auto n =
      ZSTD_decompressDCtx(m_ctx.get(), out.data(), out.size(), payload.data(), payload.size());
  if (ZSTD_isError(n) || n != meta.raw_length) malformed("chunk does not decompress");
  return out;
}

ByteView Decompressor::decode(const BlobEntry& meta, ByteView payload, Buffer& out) {
  if (!meta.compressed) {
    if (payload.size() != meta.raw_length) malformed("chunk length does not match the index");
    return payload;
  }
  out.resize(meta.raw_length);
  const auto n =
      ZSTD_decompressDCtx(m_ctx.get(), out.data(), out.size(), payload.data(), payload.size());
  if (ZSTD_isError(n) || n != meta.raw_length) malformed("chunk does not decompress");
  return out;
}

crypto::SecretBytes encode_index(std::span<const PackIndex* const> packs) {
  std::vector<std::uint8_t, crypto::SecureAllocator<std::uint8_t>> buffer;
  Writer<decltype(buffer)> w{buffer};
  w.raw(k_index_magic);
  w.u8(k_format);
  w.u32(static_cast<std::uint32_t>(packs.size()));
  for (const auto* pack : packs) {
    if (pack->key.size() != 32) fail(ErrorCode::internal, "pack key must be 32 bytes");
    w.raw(pack->id);
    w.raw(pack->key.bytes());
    w.u64(pack->size);
    w.u32(static_cast<std::uint32_t>(pack->blobs.size()));
    for (const auto& blob : pack->blobs) {
      w.raw(blob.id);
      w.u8(static_cast<std::uint8_t>(blob.kind));
      w.u8(blob.compressed ? 1 : 0);
      w.u32(blob.offset);
      w.u32(blob.length);
      w.u32(blob.raw_length);
    }
  }
  return {buffer.data(), buffer.size()};
}

std::vector<PackIndex> decode_index(ByteView plaintext) {
  Reader r{plaintext};
  std::array<std::uint8_t, 4> magic{};
  r.raw(magic);
  if (magic != k_index_magic || r.u8() != k_format) malformed("not an index");
  const auto count = r.u32();
  std::vector<PackIndex> packs;
  for (std::uint32_t i = 0; i < count; ++i) {
    PackIndex pack;
    r.raw(pack.id);
    const auto key = r.take(32);
    pack.key = crypto::SecretBytes(key.data(), key.size());
    pack.size = r.u64();
    const auto blobs = r.u32();
    r.need(static_cast<std::size_t>(blobs) * (32 + 2 + 12));
    pack.blobs.resize(blobs);
    for (auto& blob : pack.blobs) {
      r.raw(blob.id);
      const auto kind = r.u8();
      if (kind != 1 && kind != 2) malformed("unknown blob kind");
      blob.kind = static_cast<BlobKind>(kind);
      blob.compressed = r.u8() != 0;
      blob.offset = r.u32();
      blob.length = r.u32();
      blob.raw_length = r.u32();
      if (blob.offset < k_pack_header_size || blob.length < k_blob_overhead ||
          std::uint64_t{blob.offset} + blob.length > pack.size) {
        malformed("blob outside its pack");
      }
    }
    packs.push_back(std::move(pack));
  }
  if (!r.done()) malformed("trailing bytes in index");
  return packs;
}

Bytes encode_tree(const std::vector<TreeEntry>& entries) {
  Bytes out;
  Writer<Bytes> w{out};
  w.raw(k_tree_magic);
  w.u8(k_tree_format);
  w.u64(entries.size());
  for (const auto& e : entries) {
    w.u8(static_cast<std::uint8_t>(e.type));
    w.str(e.path);
    w.u32(e.mode);
    w.u32(e.uid);
    w.u32(e.gid);
    w.u64(static_cast<std::uint64_t>(e.mtime_sec));
    w.u32(e.mtime_nsec);
    w.u64(e.inode);
    w.u64(static_cast<std::uint64_t>(e.ctime_sec));
    w.u32(e.ctime_nsec);
    w.u64(e.size);
    w.str(e.link_target);
    w.u32(static_cast<std::uint32_t>(e.chunks.size()));
    for (const auto& id : e.chunks) w.raw(id);
  }
  return out;
}

std::vector<TreeEntry> decode_tree(ByteView plaintext) {
  Reader r{plaintext};
  std::array<std::uint8_t, 4> magic{};
  r.raw(magic);
  const auto format = r.u8();
  if (magic != k_tree_magic || (format != 1 && format != k_tree_format)) malformed("not a tree");
  const auto count = r.u64();
  std::vector<TreeEntry> entries;
  for (std::uint64_t i = 0; i < count; ++i) {
    TreeEntry e;
    const auto type = r.u8();
    if (type < 1 || type > 3) malformed("unknown tree entry type");
    e.type = static_cast<EntryType>(type);
    e.path = r.str();
    e.mode = r.u32();
    e.uid = r.u32();
    e.gid = r.u32();
    e.mtime_sec = static_cast<std::int64_t>(r.u64());
    e.mtime_nsec = r.u32();
    if (format >= 2) {
      e.inode = r.u64();
      e.ctime_sec = static_cast<std::int64_t>(r.u64());
      e.ctime_nsec = r.u32();
    }
    e.size = r.u64();
    e.link_target = r.str();
    const auto chunks = r.u32();
    r.need(static_cast<std::size_t>(chunks) * k_chunk_id_size);
    e.chunks.resize(chunks);
    for (auto& id : e.chunks) r.raw(id);
    entries.push_back(std::move(e));
  }
  if (!r.done()) malformed("trailing bytes in tree");
  return entries;
}

Bytes encode_snapshot(const Snapshot& s) {
  nlohmann::json tree = nlohmann::json::array();
  for (const auto& id : s.tree) tree.push_back(to_hex(id));
  const auto& st = s.stats;
  const nlohmann::json doc{{"schema", "ward.backup.snapshot/v1"},
                           {"id", s.id},
                           {"time", util::format_time(s.time)},
                           {"time_nanos", s.time_nanos},
                           {"source", s.source},
                           {"hostname", s.hostname},
                           {"username", s.username},
                           {"paths", s.paths},
                           {"tags", s.tags},
                           {"tree", tree},
                           {"tree_size", s.tree_size},
                           {"stats",
                            {{"files", st.files},
                             {"directories", st.directories},
                             {"symlinks", st.symlinks},
                             {"bytes", st.bytes},
                             {"new_bytes", st.new_bytes},
                             {"dedup_bytes", st.dedup_bytes},
                             {"stored_bytes", st.stored_bytes},
                             {"chunks", st.chunks},
                             {"new_chunks", st.new_chunks},
                             {"warnings", st.warnings}}}};
  // Paths are raw file-system bytes; a name that is not UTF-8 is shown with U+FFFD here (the
  // tree keeps the exact bytes).
  const auto text = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return {text.begin(), text.end()};
}

Snapshot decode_snapshot(ByteView plaintext) {
  const auto doc = nlohmann::json::parse(plaintext.begin(), plaintext.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() ||
      util::json_string_or(doc, "schema") != "ward.backup.snapshot/v1") {
    malformed("not a snapshot");
  }
  Snapshot s;
  try {
    s.id = doc.at("id").get<std::string>();
    s.time = util::parse_time(doc.at("time").get<std::string>());
    // Absent in snapshots written before it was recorded.
    s.time_nanos =
        doc.contains("time_nanos") ? util::json_integer<std::uint32_t>(doc.at("time_nanos")) : 0;
    if (s.time_nanos > 999'999'999) malformed("bad time_nanos");
    s.source = doc.at("source").get<std::string>();
    s.hostname = util::json_string_or(doc, "hostname");
    s.username = util::json_string_or(doc, "username");
    s.paths = doc.at("paths").get<std::vector<std::string>>();
    s.tags = doc.at("tags").get<std::vector<std::string>>();
    for (const auto& hex : doc.at("tree")) {
      const auto bytes = crypto::hex_decode(hex.get<std::string>());
      if (!bytes || bytes->size() != k_chunk_id_size) malformed("bad tree id");
      ChunkId id{};
      std::copy(bytes->begin(), bytes->end(), id.begin());
      s.tree.push_back(id);
    }
    s.tree_size = util::json_integer<std::uint64_t>(doc.at("tree_size"));
    const auto& st = doc.at("stats");
    s.stats.files = st.value("files", std::uint64_t{0});
    s.stats.directories = st.value("directories", std::uint64_t{0});
    s.stats.symlinks = st.value("symlinks", std::uint64_t{0});
    s.stats.bytes = st.value("bytes", std::uint64_t{0});
    s.stats.new_bytes = st.value("new_bytes", std::uint64_t{0});
    s.stats.dedup_bytes = st.value("dedup_bytes", std::uint64_t{0});
    s.stats.stored_bytes = st.value("stored_bytes", std::uint64_t{0});
    s.stats.chunks = st.value("chunks", std::uint64_t{0});
    s.stats.new_chunks = st.value("new_chunks", std::uint64_t{0});
    s.stats.warnings = st.value("warnings", std::uint64_t{0});
  } catch (const nlohmann::json::exception&) {
    malformed("snapshot fields");
  } catch (const Error&) {
    malformed("snapshot fields");
  }
  return s;
}

}  // namespace ward::backup
