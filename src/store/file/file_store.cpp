#include "ward/store/file_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "direct_write.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"
#include "ward/util/huge_pages.hpp"
#include "ward/util/unique_fd.hpp"

namespace ward::store {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_temp_dir = ".tmp";
// Batches of up to this many objects are synced object by object (see put_batch).
constexpr std::size_t k_fsync_each_max = 8;

class FileStore final : public ObjectStore {
 public:
  explicit FileStore(fs::path root) : m_root(std::move(root)) {}

  [[nodiscard]] std::string url() const override { return "file://" + m_root.string(); }

  bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) override {
    validate_object_name(name);
    const auto temp = write_temp(data, /*sync=*/true);
    const bool written = link_into_place(temp, name);
    sync_directory(path_of(name).parent_path());
    return written;
  }

  std::vector<bool> put_batch(const std::vector<PutRequest>& requests) override {
    // Many objects are synced with one syncfs (a thousand fsyncs cost a journal commit each);
    // a few are synced one by one, since syncfs also waits for everything else that is dirty on
    // the filesystem (0.7 s behind a 256 MiB object another process had just written).
    const bool one_by_one = requests.size() <= k_fsync_each_max;
    std::vector<fs::path> temps;
    temps.reserve(requests.size());
    for (const auto& request : requests) {
      validate_object_name(request.name);
      temps.push_back(write_temp(request.data, /*sync=*/one_by_one));
    }
    if (!one_by_one) sync_filesystem();  // the contents of every temp file, once
    std::vector<bool> written;
    written.reserve(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      written.push_back(link_into_place(temps[i], requests[i].name));
    }
    if (one_by_one) {
      std::set<fs::path> directories;
      for (const auto& request : requests) directories.insert(path_of(request.name).parent_path());
      for (const auto& directory : directories) sync_directory(directory);
    } else {
      sync_filesystem();  // every new directory entry, once
    }
    return written;
  }

  std::optional<Bytes> get(const std::string& name) override {
    validate_object_name(name);
    const util::UniqueFd fd(::open(path_of(name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
      io_failure("read", name);
    }
    // Read straight into the result, sized from fstat and grown if the file grew meanwhile.
    Bytes out;
    struct stat st {};
    std::size_t expected = 0;
    if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) expected = static_cast<size_t>(st.st_size);
    out.reserve(expected + 1);  // one byte more, to see the end of the file in the same pass
    util::advise_huge_pages(out.data(), out.capacity());
    out.resize(expected + 1);
    std::size_t got = 0;
    for (;;) {
      if (got == out.size()) out.resize(out.size() + 65536);
      const auto n = ::read(fd.get(), out.data() + got, out.size() - got);
      if (n < 0) {
        if (errno == EINTR) continue;
        io_failure("read", name);
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    return out;
  }

  // The bytes went to a local file that was synced before it was renamed into place.
  [[nodiscard]] bool confirms_writes() const override { return true; }
  [[nodiscard]] unsigned useful_parallel_puts() const override { return 1; }

  bool contains(const std::string& name) override {
    validate_object_name(name);
    struct stat st {};
    if (::stat(path_of(name).c_str(), &st) == 0) return S_ISREG(st.st_mode);
    if (errno == ENOENT || errno == ENOTDIR) return false;
    io_failure("look up", name);
  }

  std::vector<std::string> list(const std::string& prefix) override {
    std::vector<std::string> names;
    std::string directory = prefix;
    while (!directory.empty() && directory.back() == '/') directory.pop_back();
    walk(directory, names);
    std::sort(names.begin(), names.end());
    return names;
  }

  void remove(const std::string& name) override {
    validate_object_name(name);
    const auto path = path_of(name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) io_failure("remove", name);
    sync_directory(path.parent_path());
  }

  void remove_batch(const std::vector<std::string>& names) override {
    for (const auto& name : names) {
      validate_object_name(name);
      if (::unlink(path_of(name).c_str()) != 0 && errno != ENOENT) io_failure("remove", name);
    }
    if (!names.empty()) sync_filesystem();
  }

  std::size_t remove_stale_temporaries(std::chrono::seconds older_than) override {
    const auto directory = m_root / k_temp_dir;
    DIR* dir = ::opendir(directory.c_str());
    if (dir == nullptr) return 0;
    const std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
    const auto cutoff = ::time(nullptr) - static_cast<time_t>(older_than.count());
    std::size_t removed = 0;
    while (const dirent* entry = ::readdir(dir)) {
      const std::string_view leaf = entry->d_name;
      if (!leaf.ends_with(".tmp")) continue;
      struct stat st {};
      if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      // At least this old, as on SFTP, so an age of 0 s clears everything.
      if (S_ISREG(st.st_mode) && st.st_mtime <= cutoff &&
          ::unlinkat(::dirfd(dir), entry->d_name, 0) == 0) {
        ++removed;
      }
    }
    return removed;
  }

  bool create() override {
    std::error_code ec;
    fs::create_directories(m_root, ec);
    if (ec) {
      fail(ErrorCode::unreachable,
           "cannot create store directory " + m_root.string() + ": " + ec.message());
    }
    ::chmod(m_root.c_str(), 0700);
    fs::create_directories(m_root / k_temp_dir, ec);
    if (ec) io_failure("create", k_temp_dir);
    for (const auto& entry : fs::directory_iterator(m_root)) {
      if (entry.path().filename() != k_temp_dir) return false;
    }
    return true;
  }

  bool exists() override {
    std::error_code ec;
    const bool present = fs::is_directory(m_root, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      fail(ErrorCode::unreachable, "cannot reach store " + url() + ": " + ec.message());
    }
    return present;
  }

 private:
  [[nodiscard]] fs::path path_of(const std::string& name) const { return m_root / name; }

  [[noreturn]] void io_failure(const char* what, const std::string& name) const {
    const int saved = errno;
    fail(ErrorCode::unreachable, std::string("cannot ") + what + " " + name + " in store " + url() +
                                     ": " + std::strerror(saved));
  }

  fs::path write_temp(std::span<const std::uint8_t> data, bool sync) {
    const auto temp_dir = m_root / k_temp_dir;
    auto temp = temp_dir / (crypto::hex_encode(crypto::random_bytes(12)) + ".tmp");
    util::UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid() && errno == ENOENT) {
      std::error_code ec;
      fs::create_directories(temp_dir, ec);
      fd.reset(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    }
    if (!fd.valid()) io_failure("create a temporary file for", temp.filename().string());
    if (const int error = file::write_contents(fd.get(), data); error != 0) {
      ::unlink(temp.c_str());
      errno = error;
      io_failure("write", temp.filename().string());
    }
    if (sync && ::fsync(fd.get()) != 0) {
      const int saved = errno;
      ::unlink(temp.c_str());
      errno = saved;
      io_failure("sync", temp.filename().string());
    }
    return temp;
  }

  // renameat2(RENAME_NOREPLACE) never replaces an existing name: this is the put-if-absent.
  // Filesystems without it get link(2), which has the same guarantee but costs an extra unlink.
  static int move_without_replacing(const fs::path& temp, const fs::path& target) {
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0)
      return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    const int rc = ::link(temp.c_str(), target.c_str());
    const int saved = errno;
    if (rc == 0) ::unlink(temp.c_str());
    errno = saved;
    return rc;
  }

  bool link_into_place(const fs::path& temp, const std::string& name) {
    const auto target = path_of(name);
    int rc = move_without_replacing(temp, target);
    if (rc != 0 && errno == ENOENT) {
      make_parents(target.parent_path());
      rc = move_without_replacing(temp, target);
    }
    if (rc == 0) return true;
    const int saved = errno;
    ::unlink(temp.c_str());
    if (saved == EEXIST) return false;
    errno = saved;
    io_failure("write", name);
  }

  void make_parents(const fs::path& directory) {
    std::error_code ec;
    fs::create_directories(directory, ec);
    if (ec) {
      errno = ec.value();
      io_failure("create directory", fs::relative(directory, m_root).string());
    }
    // New directory entries must survive a crash too.
    for (auto dir = directory; dir != m_root && dir.has_parent_path(); dir = dir.parent_path()) {
      sync_directory(dir.parent_path());
    }
  }

  static void sync_directory(const fs::path& directory) {
    const util::UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.valid()) ::fsync(fd.get());
  }

  void sync_filesystem() {
    const util::UniqueFd fd(::open(m_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid() || ::syncfs(fd.get()) != 0) io_failure("sync", ".");
  }

  void walk(const std::string& relative, std::vector<std::string>& names) {
    const auto directory = relative.empty() ? m_root : m_root / relative;
    DIR* dir = ::opendir(directory.c_str());
    if (dir == nullptr) {
      if (errno == ENOENT || errno == ENOTDIR) return;
      io_failure("list", relative.empty() ? "." : relative);
    }
    const std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
    while (const dirent* entry = ::readdir(dir)) {
      const std::string_view leaf = entry->d_name;
      if (leaf.empty() || leaf.front() == '.') continue;  // ., .., .tmp
      std::string child = relative.empty() ? std::string(leaf) : relative + "/" + std::string(leaf);
      unsigned char type = entry->d_type;
      if (type == DT_UNKNOWN) {
        struct stat st {};
        if (::stat((m_root / child).c_str(), &st) == 0)
          type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
      }
      if (type == DT_DIR) {
        walk(child, names);
      } else if (type == DT_REG) {
        names.push_back(std::move(child));
      }
    }
  }

  fs::path m_root;
};

}  // namespace

std::unique_ptr<ObjectStore> make_file_store(const std::filesystem::path& root) {
  return std::make_unique<FileStore>(root.lexically_normal());
}

}  // namespace ward::store
