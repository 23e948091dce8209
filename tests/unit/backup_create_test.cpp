#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "test_support.hpp"
#include "ward/backup/create.hpp"
#include "ward/backup/repository.hpp"
#include "ward/crypto/random.hpp"
#include "ward/keyring/keyring.hpp"
#include "ward/store/file_store.hpp"

namespace wb = ward::backup;
namespace wk = ward::keyring;
using ward::testing::TempDir;

namespace {

// A store whose disk is full for backup packs: every put of a pack fails, everything else
// reaches the real store.
class PackPutsFailStore final : public ward::store::ObjectStore {
 public:
  explicit PackPutsFailStore(ward::store::ObjectStore& inner) : m_inner(inner) {}
  [[nodiscard]] std::string url() const override { return m_inner.url(); }
  bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) override {
    if (name.find("/data/") != std::string::npos) {
      // A slow failure, as a full disk's: meanwhile the workers go on hashing new chunks.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      throw std::runtime_error("no space left");
    }
    return m_inner.put_if_absent(name, data);
  }
  std::optional<ward::store::Bytes> get(const std::string& name) override {
    return m_inner.get(name);
  }
  std::vector<std::string> list(const std::string& prefix) override { return m_inner.list(prefix); }
  void remove(const std::string& name) override { m_inner.remove(name); }
  bool create() override { return m_inner.create(); }
  bool exists() override { return m_inner.exists(); }

 private:
  ward::store::ObjectStore& m_inner;
};

}  // namespace

// A store that fails under a running backup: the error reaches the caller, no snapshot is
// written, and the repository takes the next run. Under ASan (scripts/sanitize.sh) this also
// checks the pipeline's unwinding while its workers are busy.
TEST_CASE("a failed pack upload ends create with the error, while workers are still busy") {
  TempDir dir;
  auto disk = ward::store::make_file_store(dir.path() / "store");
  PackPutsFailStore store(*disk);
  wk::UnlockMaterial unlock;
  unlock.kind = wk::UnlockMaterial::Kind::key_file;
  unlock.secret = ward::crypto::random_secret(32);
  unlock.source = "test key";
  auto keyring = wk::Keyring::initialize(store, unlock, {});
  wb::Repository repository(keyring->ns("default"));

  // 64 MiB of random bytes in a file: incompressible and never deduplicated, so the first
  // 16 MiB packs fill fast and fail while the reader still has data to hand on.
  const auto path = dir.path() / "dump.bin";
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 64; ++i) {
      const auto block = ward::crypto::random_bytes(std::size_t{1024} * 1024);
      out.write(reinterpret_cast<const char*>(block.data()),
                static_cast<std::streamsize>(block.size()));
    }
  }
  for (int trial = 0; trial < 5; ++trial) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    wb::CreateOptions options;
    options.use_stdin = true;
    options.stdin_fd = fd;
    options.stdin_name = "dump.bin";
    options.threads = 3;
    CHECK_THROWS_WITH(wb::create_snapshot(repository, options),
                      Catch::Matchers::Contains("no space left"));
    ::close(fd);
  }
  CHECK(repository.snapshots().empty());
}
