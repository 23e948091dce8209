#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "store/file/direct_write.hpp"
#include "test_support.hpp"
#include "ward/store/file_store.hpp"
#include "ward/store/object_store.hpp"
#include "ward/util/unique_fd.hpp"

namespace {

using ward::store::file::k_direct_alignment;

struct FreeDeleter {
  void operator()(std::uint8_t* p) const noexcept { std::free(p); }  // NOLINT: aligned_alloc
};

// `size` pattern bytes at an address k_direct_alignment-aligned plus `offset`.
class AlignedBytes {
 public:
  AlignedBytes(std::size_t size, std::size_t offset) : m_size(size), m_offset(offset) {
    const std::size_t total = (size + offset + k_direct_alignment - 1) / k_direct_alignment;
    m_block.reset(static_cast<std::uint8_t*>(  // NOLINT: aligned_alloc
        std::aligned_alloc(k_direct_alignment, total * k_direct_alignment)));
    REQUIRE(m_block);
    for (std::size_t i = 0; i < size; ++i) {
      m_block.get()[offset + i] = static_cast<std::uint8_t>((i * 131) ^ (i >> 11));
    }
  }
  [[nodiscard]] std::span<const std::uint8_t> span() const {
    return {m_block.get() + m_offset, m_size};
  }

 private:
  std::unique_ptr<std::uint8_t, FreeDeleter> m_block;
  std::size_t m_size;
  std::size_t m_offset;
};

void check_round_trips(const std::filesystem::path& root) {
  auto store = ward::store::make_file_store(root);
  store->create();
  const std::size_t mib = 1024 * 1024;
  int n = 0;
  for (const std::size_t size : {mib, mib + 1, 4 * mib + 123, 16 * mib - 1, mib - 1}) {
    for (const std::size_t offset : {std::size_t{0}, std::size_t{1}}) {
      INFO("size " << size << " offset " << offset << " in " << root);
      const AlignedBytes data(size, offset);
      const auto name = "p/" + std::to_string(n++);
      REQUIRE(ward::store::file::wants_direct(data.span()) == (size >= mib));
      REQUIRE(ward::store::file::writes_in_place(data.span()) == (offset == 0));
      REQUIRE(store->put_if_absent(name, data.span()));
      const auto back = store->get(name);
      REQUIRE(back);
      REQUIRE(back->size() == size);
      REQUIRE(std::equal(back->begin(), back->end(), data.span().begin()));
    }
  }
  REQUIRE(std::filesystem::is_empty(root / ".tmp"));
}

bool takes_direct(int fd) { return ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_DIRECT) == 0; }

}  // namespace

TEST_CASE("file store: large puts of any length and alignment round-trip on disk") {
  const ward::testing::TempDir dir;
  check_round_trips(dir.path() / "store");
}

TEST_CASE("file store: large puts of any length and alignment round-trip on tmpfs") {
  const std::filesystem::path shm = "/dev/shm";
  if (!std::filesystem::is_directory(shm)) {
    WARN("no /dev/shm: the tmpfs put was not exercised");
    return;
  }
  const std::filesystem::path root =
      shm / ("ward-unit-direct-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  struct Remove {
    std::filesystem::path path;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } remove{root};
  check_round_trips(root);
}

TEST_CASE("direct writes leave the page cache alone up to the unaligned tail") {
  // In place from an aligned buffer, and through the aligned copy from an unaligned one, with a
  // length that takes more than one copy.
  const std::size_t offset = GENERATE(std::size_t{0}, std::size_t{3});
  INFO("buffer offset " << offset);
  const ward::testing::TempDir dir;
  const auto path = dir.path() / "f";
  const ward::util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
  REQUIRE(fd.valid());
  {
    const ward::util::UniqueFd probe(::open(path.c_str(), O_WRONLY));
    if (!takes_direct(probe.get())) {
      WARN("the temporary directory's filesystem refuses O_DIRECT: nothing to check");
      return;
    }
  }
  const std::size_t pages = 2 * ward::store::file::k_bounce_size / k_direct_alignment + 5;
  const std::size_t size = pages * k_direct_alignment + 100;
  const AlignedBytes data(size, offset);
  REQUIRE(ward::store::file::write_contents(fd.get(), data.span()) == 0);
  REQUIRE((::fcntl(fd.get(), F_GETFL) & O_DIRECT) == 0);  // handed back as it came
  REQUIRE(::fsync(fd.get()) == 0);

  const ward::util::UniqueFd in(::open(path.c_str(), O_RDONLY));
  REQUIRE(in.valid());
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, in.get(), 0);
  REQUIRE(map != MAP_FAILED);
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((size + page - 1) / page);
  REQUIRE(::mincore(map, size, resident.data()) == 0);
  std::size_t cached = 0;
  for (std::size_t i = 0; i + 1 < resident.size(); ++i) cached += resident[i] & 1;
  const bool tail_cached = (resident.back() & 1) != 0;
  const bool same =
      std::equal(data.span().begin(), data.span().end(), static_cast<const std::uint8_t*>(map));
  ::munmap(map, size);
  REQUIRE(same);
  REQUIRE(cached == 0);  // written with O_DIRECT: nothing went through the cache
  REQUIRE(tail_cached);  // the last partial block did
}

TEST_CASE("direct writes fall back to plain writes where O_DIRECT is refused") {
  // A socket takes no O_DIRECT (fcntl answers EINVAL), like a filesystem without it.
  std::array<int, 2> pair{};
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair.data()) == 0);
  ward::util::UniqueFd writer(pair[0]);
  const ward::util::UniqueFd reader(pair[1]);
  REQUIRE_FALSE(takes_direct(writer.get()));
  const std::size_t size = 2 * 1024 * 1024 + 7;
  const AlignedBytes data(size, 0);
  std::vector<std::uint8_t> got;
  std::thread drain([&] {
    std::array<std::uint8_t, 65536> buffer{};
    for (;;) {
      const auto n = ::read(reader.get(), buffer.data(), buffer.size());
      if (n <= 0) break;
      got.insert(got.end(), buffer.begin(), buffer.begin() + n);
    }
  });
  const int error = ward::store::file::write_contents(writer.get(), data.span());
  writer.reset();
  drain.join();
  REQUIRE(error == 0);
  REQUIRE(got.size() == size);
  REQUIRE(std::equal(got.begin(), got.end(), data.span().begin()));
}
