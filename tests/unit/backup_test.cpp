#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <span>
#include <string>

#include "test_support.hpp"
#include "ward/backup/chunker.hpp"
#include "ward/backup/format.hpp"
#include "ward/backup/prune.hpp"
#include "ward/backup/repository.hpp"
#include "ward/crypto/random.hpp"

using ward::ErrorCode;
using ward::testing::error_code_of;
namespace backup = ward::backup;

namespace {

backup::Bytes noise(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  backup::Bytes out(n);
  for (std::size_t i = 0; i < n; i += 8) {
    const auto v = rng();
    std::memcpy(out.data() + i, &v, std::min<std::size_t>(8, n - i));
  }
  return out;
}

std::vector<backup::Bytes> chunk_all(const backup::Chunker& chunker, const backup::Bytes& data) {
  std::vector<backup::Bytes> chunks;
  std::size_t start = 0;
  while (start < data.size()) {
    const auto cut = chunker.next_cut({data.data() + start, data.size() - start});
    chunks.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(start),
                        data.begin() + static_cast<std::ptrdiff_t>(start + cut));
    start += cut;
  }
  return chunks;
}

const std::array<std::uint8_t, 32> k_seed{1, 2, 3};

}  // namespace

TEST_CASE("chunks stay between the minimum and maximum size and cover the input") {
  const backup::Chunker chunker(k_seed);
  const auto data = noise(24 << 20, 1);
  const auto chunks = chunk_all(chunker, data);
  std::size_t total = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    total += chunks[i].size();
    if (i + 1 < chunks.size()) {
      CHECK(chunks[i].size() >= chunker.params().min_size);
      CHECK(chunks[i].size() <= chunker.params().max_size);
    }
  }
  CHECK(total == data.size());
  // Normalized chunking keeps the average near 1 MiB.
  const auto average = static_cast<double>(data.size()) / static_cast<double>(chunks.size());
  CHECK(average > 0.6 * (1 << 20));
  CHECK(average < 2.0 * (1 << 20));
}

TEST_CASE("a one-byte insertion in a large file changes one or two chunks, not the rest") {
  const backup::Chunker chunker(k_seed);
  const auto original = noise(32 << 20, 2);
  auto edited = original;
  edited.insert(edited.begin() + (17 << 20) + 12345, std::uint8_t{0x5a});
  const auto before = chunk_all(chunker, original);
  const auto after = chunk_all(chunker, edited);
  const std::set<backup::Bytes> old_chunks(before.begin(), before.end());
  std::size_t changed = 0;
  for (const auto& chunk : after) changed += old_chunks.contains(chunk) ? 0 : 1;
  INFO("chunks before " << before.size() << ", after " << after.size());
  CHECK(before.size() > 16);
  CHECK(changed >= 1);
  CHECK(changed <= 2);
}

namespace {

// The chunker's definition, one byte at a time, to check the four-lane scan against.
std::size_t reference_cut(const backup::Chunker& chunker, std::span<const std::uint8_t> data) {
  const auto& params = chunker.params();
  if (data.size() <= params.min_size) return data.size();
  const std::size_t normal = std::min(params.avg_size, data.size());
  const std::size_t limit = std::min(params.max_size, data.size());
  std::uint64_t fp = 0;
  for (std::size_t i = params.min_size; i < limit; ++i) {
    fp = (fp << 1) + chunker.gear()[data[i]];
    const auto mask = i < normal ? chunker.mask_before_average() : chunker.mask_after_average();
    if ((fp & mask) == 0) return i + 1;
  }
  return limit;
}

}  // namespace

TEST_CASE("the four-lane scan cuts exactly where a byte-by-byte scan does") {
  // Text-like data: few distinct bytes, long repeats, so fingerprints repeat too.
  backup::Bytes text;
  std::mt19937 rng(7);
  while (text.size() < (12 << 20)) {
    const std::string row = "INSERT INTO t VALUES (" + std::to_string(rng() % 5000) + ", 'x');\n";
    text.insert(text.end(), row.begin(), row.end());
  }
  const backup::Bytes zeros(6 << 20, 0);
  const auto random = noise(24 << 20, 11);
  for (const auto& params :
       {backup::ChunkerParams{}, backup::ChunkerParams{16 * 1024, 128 * 1024, 512 * 1024},
        backup::ChunkerParams{1024, 4096, 65536}}) {
    const backup::Chunker chunker(k_seed, params);
    std::size_t cuts = 0;
    for (const backup::Bytes* data : std::array<const backup::Bytes*, 3>{&random, &text, &zeros}) {
      std::size_t start = 0;
      while (start < data->size()) {
        const std::span<const std::uint8_t> rest(data->data() + start, data->size() - start);
        const auto cut = chunker.next_cut(rest);
        INFO("min " << params.min_size << ", at " << start);
        REQUIRE(cut == reference_cut(chunker, rest));
        start += cut;
        ++cuts;
      }
    }
    CHECK(cuts > 20);
  }
}

TEST_CASE("the chunker seed changes the boundaries") {
  const auto data = noise(8 << 20, 3);
  const std::array<std::uint8_t, 32> other{9};
  const auto a = chunk_all(backup::Chunker(k_seed), data);
  const auto b = chunk_all(backup::Chunker(other), data);
  CHECK(a.front().size() != b.front().size());
}

TEST_CASE("a sealed blob opens with its pack key, pack id and chunk id only") {
  const auto key = ward::crypto::random_secret(32);
  backup::PackId pack{};
  pack[0] = 7;
  backup::BlobEntry meta;
  meta.id[0] = 1;
  meta.raw_length = 5;
  const std::string text = "hello";
  backup::Bytes sealed;
  backup::seal_blob(key, pack, meta, ward::crypto::as_bytes(text), sealed);
  REQUIRE(sealed.size() == text.size() + backup::k_blob_overhead);
  const auto opened = backup::open_blob(key, pack, meta, sealed);
  CHECK(std::string(opened.begin(), opened.end()) == text);

  auto tampered = sealed;
  tampered[14] ^= 1;
  CHECK(error_code_of([&] { (void)backup::open_blob(key, pack, meta, tampered); }) ==
        ErrorCode::auth);
  auto other_pack = pack;
  other_pack[1] = 1;
  CHECK(error_code_of([&] { (void)backup::open_blob(key, other_pack, meta, sealed); }) ==
        ErrorCode::auth);
  auto other_meta = meta;
  other_meta.id[0] = 2;
  CHECK(error_code_of([&] { (void)backup::open_blob(key, pack, other_meta, sealed); }) ==
        ErrorCode::auth);
  other_meta = meta;
  other_meta.compressed = true;
  CHECK(error_code_of([&] { (void)backup::open_blob(key, pack, other_meta, sealed); }) ==
        ErrorCode::auth);
}

TEST_CASE("compression round trip; incompressible data is stored as it is") {
  backup::Compressor compressor;
  backup::Decompressor decompressor;
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "INSERT INTO t VALUES (" + std::to_string(i) + ", 'row');\n";
  const backup::Bytes raw(text.begin(), text.end());
  backup::Bytes packed;
  REQUIRE(compressor.compress(raw, packed));
  CHECK(packed.size() < raw.size() / 4);
  backup::BlobEntry meta;
  meta.compressed = true;
  meta.raw_length = static_cast<std::uint32_t>(raw.size());
  CHECK(decompressor.decode(meta, packed) == raw);
  meta.raw_length += 1;
  CHECK(error_code_of([&] { (void)decompressor.decode(meta, packed); }) == ErrorCode::auth);

  const auto random = noise(1 << 20, 4);
  CHECK_FALSE(compressor.compress(random, packed));
}

TEST_CASE("reused buffers: blobs sealed, opened and decoded into one buffer each time") {
  const auto key = ward::crypto::random_secret(32);
  const backup::PackId pack{3};
  backup::Compressor compressor;
  backup::Decompressor decompressor;
  backup::Buffer packed;
  backup::Buffer sealed;
  backup::Buffer opened;
  backup::Buffer decoded;
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "INSERT INTO t VALUES (" + std::to_string(i) + ");\n";
  const backup::Bytes large(text.begin(), text.end());
  const backup::Bytes small(large.begin(), large.begin() + 300);
  const auto random = noise(1 << 18, 9);
  // A large chunk first, then smaller ones: nothing of the earlier content may leak into a
  // later result, whether it was compressed or not.
  for (const auto* raw : {&large, &small, &random, &small}) {
    backup::BlobEntry meta;
    meta.id[0] = static_cast<std::uint8_t>(raw->size());
    meta.raw_length = static_cast<std::uint32_t>(raw->size());
    meta.compressed = compressor.compress(*raw, packed);
    CHECK(meta.compressed == (raw != &random));
    const backup::ByteView payload = meta.compressed ? backup::ByteView(packed) : *raw;
    sealed.clear();
    backup::seal_blob(key, pack, meta, payload, sealed);
    REQUIRE(sealed.size() == payload.size() + backup::k_blob_overhead);
    backup::open_blob(key, pack, meta, sealed, opened);
    const auto plain = decompressor.decode(meta, opened, decoded);
    CHECK(backup::Bytes(plain.begin(), plain.end()) == *raw);
    // The one-shot forms agree byte for byte.
    CHECK(backup::open_blob(key, pack, meta, backup::Bytes(sealed.begin(), sealed.end())) ==
          backup::Bytes(opened.begin(), opened.end()));
  }
  sealed[20] ^= 1;
  backup::BlobEntry meta;
  meta.id[0] = static_cast<std::uint8_t>(small.size());
  meta.raw_length = static_cast<std::uint32_t>(small.size());
  meta.compressed = true;
  CHECK(error_code_of([&] { backup::open_blob(key, pack, meta, sealed, opened); }) ==
        ErrorCode::auth);
  CHECK(error_code_of([&] { (void)decompressor.decode(meta, backup::ByteView(small), decoded); }) ==
        ErrorCode::auth);
}

TEST_CASE("a pack built in a reused buffer holds only its own blobs") {
  backup::PackBuilder first;
  const backup::Bytes chunk(100000, 0x5a);
  first.add(backup::ChunkId{1}, backup::BlobKind::data, false, chunk,
            static_cast<std::uint32_t>(chunk.size()));
  auto [first_index, first_data] = std::move(first).finish();
  CHECK(first_data.size() == backup::k_pack_header_size + chunk.size() + backup::k_blob_overhead);

  backup::PackBuilder second(std::move(first_data));
  const backup::Bytes tiny(10, 0x11);
  second.add(backup::ChunkId{2}, backup::BlobKind::data, false, tiny, 10);
  auto [index, data] = std::move(second).finish();
  CHECK(index.id != first_index.id);
  REQUIRE(data.size() == backup::k_pack_header_size + tiny.size() + backup::k_blob_overhead);
  CHECK(index.size == data.size());
  backup::check_pack_header(data, index.id);
  const auto& blob = index.blobs.at(0);
  CHECK(backup::open_blob(index.key, index.id, blob,
                          backup::ByteView(data).subspan(blob.offset, blob.length)) == tiny);
}

TEST_CASE("index objects round trip and reject malformed input") {
  backup::PackIndex pack;
  pack.id[3] = 9;
  pack.key = ward::crypto::random_secret(32);
  pack.size = 1000;
  backup::BlobEntry blob;
  blob.id[5] = 6;
  blob.kind = backup::BlobKind::tree;
  blob.compressed = true;
  blob.offset = backup::k_pack_header_size;
  blob.length = 100;
  blob.raw_length = 300;
  pack.blobs.push_back(blob);
  const backup::PackIndex* list[] = {&pack};
  const auto encoded = backup::encode_index(list);
  const auto decoded = backup::decode_index(encoded.bytes());
  REQUIRE(decoded.size() == 1);
  CHECK(decoded[0].id == pack.id);
  CHECK(decoded[0].key.equals(pack.key));
  CHECK(decoded[0].size == 1000);
  REQUIRE(decoded[0].blobs.size() == 1);
  CHECK(decoded[0].blobs[0].id == blob.id);
  CHECK(decoded[0].blobs[0].kind == backup::BlobKind::tree);
  CHECK(decoded[0].blobs[0].compressed);
  CHECK(decoded[0].blobs[0].raw_length == 300);

  const auto bytes = encoded.bytes();
  CHECK(error_code_of([&] { (void)backup::decode_index(bytes.first(bytes.size() - 1)); }) ==
        ErrorCode::auth);
  pack.blobs[0].length = 2000;  // beyond the pack
  const auto bad = backup::encode_index(list);
  CHECK(error_code_of([&] { (void)backup::decode_index(bad.bytes()); }) == ErrorCode::auth);
}

TEST_CASE("trees round trip with unusual names, symlinks and chunk lists") {
  std::vector<backup::TreeEntry> tree(3);
  tree[0].type = backup::EntryType::directory;
  tree[0].path = "data/with space";
  tree[0].mode = 0750;
  tree[1].type = backup::EntryType::file;
  // A newline and bytes that are not UTF-8. No explicit length: 29 read past the literal (ASan).
  tree[1].path = std::string("data/with space/new\nline \xff\xfe");
  tree[1].mode = 04755;
  tree[1].mtime_sec = -5;
  tree[1].mtime_nsec = 999999999;
  tree[1].size = 42;
  tree[1].inode = 1234567;
  tree[1].ctime_sec = 1700000000;
  tree[1].ctime_nsec = 5;
  tree[1].chunks.resize(2);
  tree[1].chunks[1][31] = 0xaa;
  tree[2].type = backup::EntryType::symlink;
  tree[2].path = "data/link";
  tree[2].link_target = "../elsewhere";
  const auto encoded = backup::encode_tree(tree);
  const auto decoded = backup::decode_tree(encoded);
  REQUIRE(decoded.size() == 3);
  CHECK(decoded[1].path == tree[1].path);
  CHECK(decoded[1].mode == 04755);
  CHECK(decoded[1].mtime_sec == -5);
  CHECK(decoded[1].mtime_nsec == 999999999);
  CHECK(decoded[1].chunks == tree[1].chunks);
  CHECK(decoded[1].inode == 1234567);
  CHECK(decoded[1].ctime_sec == 1700000000);
  CHECK(decoded[1].ctime_nsec == 5);
  CHECK(decoded[2].link_target == "../elsewhere");
  CHECK(error_code_of([&] {
          (void)backup::decode_tree(std::span(encoded).first(encoded.size() - 3));
        }) == ErrorCode::auth);
}

TEST_CASE("snapshots round trip") {
  backup::Snapshot s;
  s.id = "00112233445566778899aabbccddeeff";
  s.time = ward::util::parse_time("2026-11-01T02:00:00Z");
  s.time_nanos = 123'456'789;
  s.source = "host:/data";
  s.paths = {"/data"};
  s.tags = {"daily"};
  s.tree.resize(2);
  s.tree[0][0] = 1;
  s.tree_size = 77;
  s.stats.files = 3;
  s.stats.new_bytes = 99;
  const auto decoded = backup::decode_snapshot(backup::encode_snapshot(s));
  CHECK(decoded.id == s.id);
  CHECK(decoded.time == s.time);
  CHECK(decoded.time_nanos == 123'456'789);
  CHECK(decoded.source == s.source);
  CHECK(decoded.tags == s.tags);
  CHECK(decoded.tree == s.tree);
  CHECK(decoded.tree_size == 77);
  CHECK(decoded.stats.files == 3);
  CHECK(decoded.stats.new_bytes == 99);
  // A snapshot written before the sub-second part was recorded reads as 0; one out of range
  // is malformed.
  auto doc = nlohmann::json::parse(backup::encode_snapshot(s));
  doc.erase("time_nanos");
  CHECK(backup::decode_snapshot(ward::crypto::as_bytes(doc.dump())).time_nanos == 0);
  for (const auto* bad : {"1000000000", "-1", "0.5", "\"1\""}) {
    CAPTURE(bad);
    doc["time_nanos"] = nlohmann::json::parse(bad);
    CHECK(error_code_of([&] {
            (void)backup::decode_snapshot(ward::crypto::as_bytes(doc.dump()));
          }) == ErrorCode::auth);
  }
  const std::string junk = "{\"schema\":\"ward.backup.snapshot/v1\"}";
  CHECK(error_code_of([&] { (void)backup::decode_snapshot(ward::crypto::as_bytes(junk)); }) ==
        ErrorCode::auth);
  // Fields of the wrong JSON type are malformed snapshots too, not an escaping json exception.
  for (const std::string wrong_type : {"{\"schema\":0,\"id\":\"a\"}", "[1]",
                                       "{\"schema\":\"ward.backup.snapshot/v1\",\"hostname\":7}"}) {
    CAPTURE(wrong_type);
    CHECK(error_code_of([&] {
            (void)backup::decode_snapshot(ward::crypto::as_bytes(wrong_type));
          }) == ErrorCode::auth);
  }
}

TEST_CASE("7 daily and 4 weekly keep exactly the newest of each day and ISO week") {
  // One snapshot a day at 02:00 UTC, 2026-11-01 (a Sunday) to 2026-11-30 (a Monday), plus a
  // second one on the 30th.
  std::vector<backup::Snapshot> snapshots;
  for (int day = 1; day <= 30; ++day) {
    backup::Snapshot s;
    s.id = "day" + std::to_string(day);
    char text[32];
    std::snprintf(text, sizeof(text), "2026-11-%02dT02:00:00Z", day);
    s.time = ward::util::parse_time(text);
    s.source = "db";
    snapshots.push_back(s);
  }
  auto extra = snapshots.back();
  extra.id = "day30-late";
  extra.time += std::chrono::hours(20);
  snapshots.push_back(extra);
  backup::Snapshot other;  // another source is judged on its own
  other.id = "other";
  other.time = ward::util::parse_time("2026-10-01T00:00:00Z");
  other.source = "files";
  snapshots.insert(snapshots.begin(), other);

  backup::RetentionPolicy policy;
  policy.daily = 7;
  policy.weekly = 4;
  std::set<std::string> kept;
  for (const auto& d : backup::apply_policy(snapshots, policy)) {
    if (d.keep) kept.insert(d.snapshot.id);
  }
  // Daily: the 30th (the later one), 29th … 24th. Weekly (ISO weeks 49, 48, 47, 46): the
  // newest of each: 30th (late), 29th, 22nd, 15th.
  const std::set<std::string> expected = {"day30-late", "day29", "day28", "day27", "day26",
                                          "day25",      "day24", "day22", "day15", "other"};
  CHECK(kept == expected);

  policy = {};
  policy.last = 3;
  kept.clear();
  for (const auto& d : backup::apply_policy(snapshots, policy)) {
    if (d.keep) kept.insert(d.snapshot.id);
  }
  CHECK(kept == std::set<std::string>{"day30-late", "day30", "day29", "other"});
}
