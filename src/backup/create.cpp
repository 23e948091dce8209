#include "ward/backup/create.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <memory>
#include <numeric>
#include <set>
#include <stop_token>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "bounded_queue.hpp"
#include "ward/backup/chunker.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"

extern char** environ;  // NOLINT: POSIX

namespace ward::backup {
namespace {

// A chunk is a view into the slab it was read into; the job keeps the slab alive until the
// worker is done with it, so chunks reach the workers without a copy.
struct ChunkJob {
  std::shared_ptr<const Buffer> slab;
  ByteView data;
  ChunkId* slot = nullptr;
  BlobKind kind = BlobKind::data;
};

struct FdCloser {
  int fd = -1;
  explicit FdCloser(int f) : fd(f) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

std::string hostname() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) return "localhost";
  return host.data();
}

std::string username() {
  if (const auto* pw = ::getpwuid(::geteuid()); pw != nullptr) return pw->pw_name;
  return std::to_string(::geteuid());
}

// Uploads in flight: storing a pack waits on the network or the disk, not the CPU. A remote store
// needs a few at once to keep the workers busy while one waits; a local disk does as well with
// one. Each holds a 16 MiB pack, and fresh memory is dear: on a VM the first touch of a page
// can cost more than filling it. A first backup of 1 GiB to a file store, memory freed just
// before it (page cache dropped and refilled), four alternating runs: 1.54-1.69 s with three
// uploaders and two queued packs (RSS 168-204 MiB), 1.49-1.56 s with one and one (132 MiB).
unsigned uploaders_for(const store::ObjectStore& store) {
  return std::max(1U, std::min(store.useful_parallel_puts(), 8U));
}

// Buffers handed back once used, to be filled again: a run maps its pack buffers once instead of
// faulting in fresh pages for every pack. The number alive stays bounded by the queues (packs at
// workers, queued and uploading).
class BufferPool {
 public:
  Buffer take() {
    const std::lock_guard lock(m_mutex);
    if (m_free.empty()) return {};
    auto buffer = std::move(m_free.back());
    m_free.pop_back();
    return buffer;
  }
  void give(Buffer buffer) {
    buffer.clear();
    const std::lock_guard lock(m_mutex);
    m_free.push_back(std::move(buffer));
  }

 private:
  std::mutex m_mutex;
  std::vector<Buffer> m_free;
};

// Slabs the reader fills with source bytes. A slab goes back to the pool when the last chunk
// job that points into it is done, so the slabs alive are bounded by the chunks in flight
// (a slab holds several of them) plus the one being filled.
class SlabPool {
 public:
  explicit SlabPool(std::size_t slab_size) : m_slab_size(slab_size) {}

  std::shared_ptr<Buffer> take() {
    std::unique_ptr<Buffer> slab;
    {
      const std::lock_guard lock(m_mutex);
      if (!m_free.empty()) {
        slab = std::move(m_free.back());
        m_free.pop_back();
      }
    }
    if (!slab) {
      slab = std::make_unique<Buffer>();
      slab->resize(m_slab_size);
    }
    // The pool outlives every slab it hands out: it is declared before the queues and workers
    // that hold them.
    return {slab.release(), [this](Buffer* returned) {
              const std::lock_guard lock(m_mutex);
              m_free.emplace_back(returned);
            }};
  }

  [[nodiscard]] std::size_t slab_size() const { return m_slab_size; }

 private:
  std::size_t m_slab_size;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<Buffer>> m_free;
};

// The pipeline: the caller's thread reads and chunks; workers hash, deduplicate, compress and
// seal into packs of their own; uploaders store full packs and their index objects.
class Pipeline {
 public:
  Pipeline(Repository& repository, unsigned threads, util::Progress* progress)
      : m_repository(repository),
        m_progress(progress),
        m_chunker(repository.chunker_seed().bytes()),
        m_slabs(4 * m_chunker.params().max_size),
        m_jobs(std::max<std::size_t>(4, 2 * threads)),
        m_uploads(uploaders_for(repository.store()) > 1 ? 2 : 1) {
    for (const auto& pack : repository.packs()) {
      for (const auto& blob : pack.index.blobs) m_seen.insert(blob.id);
    }
    for (unsigned i = uploaders_for(repository.store()); i > 0; --i) {
      m_uploaders.emplace_back([this] { upload_loop(); });
    }
    for (unsigned i = 0; i < threads; ++i) m_workers.emplace_back([this] { work_loop(); });
  }

  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  ~Pipeline() {
    if (!m_finished) {
      m_jobs.abort();
      m_uploads.abort();
      join();
    }
  }

  // Chunks everything `fd` yields; each chunk's id lands in a new slot of `ids`. Returns the
  // bytes read.
  std::uint64_t feed(int fd, std::deque<ChunkId>& ids) {
    // Files follow each other in the current slab; a cut needs max_size bytes ahead of it (or
    // the end of the file), and when the slab has no room for that, what is left moves to a
    // fresh slab: about a twelfth of the bytes are copied, not all of them.
    std::size_t start = m_slab_end;
    std::size_t end = m_slab_end;
    bool eof = false;
    std::uint64_t total = 0;
    const auto max = m_chunker.params().max_size;
    const auto size = m_slabs.slab_size();
    for (;;) {
      while (!eof && end - start < max) {
        if (!m_slab || size - start < max) {
          auto fresh = m_slabs.take();
          if (end > start) std::memcpy(fresh->data(), m_slab->data() + start, end - start);
          end -= start;
          start = 0;
          m_slab = std::move(fresh);
        }
        const auto n = ::read(fd, m_slab->data() + end, size - end);
        if (n < 0) {
          if (errno == EINTR) continue;
          fail(ErrorCode::unreachable,
               std::string("cannot read a source: ") + std::strerror(errno));
        }
        if (n == 0) eof = true;
        end += static_cast<std::size_t>(n);
        total += static_cast<std::uint64_t>(n);
        if (m_progress != nullptr) m_progress->add_bytes(static_cast<std::uint64_t>(n));
      }
      m_slab_end = end;
      if (end == start) break;
      const auto cut = m_chunker.next_cut({m_slab->data() + start, end - start});
      ids.emplace_back();
      submit({m_slab, {m_slab->data() + start, cut}, &ids.back(), BlobKind::data});
      start += cut;
    }
    return total;
  }

  void submit(ChunkJob job) {
    rethrow_if_failed();
    {
      const std::lock_guard lock(m_mutex);
      ++m_pending;
    }
    if (!m_jobs.push(std::move(job))) rethrow_if_failed();
  }

  // Whether every chunk is stored (a parent snapshot's file can be reused without reading it).
  bool all_known(const std::vector<ChunkId>& ids) {
    const std::lock_guard lock(m_mutex);
    return std::all_of(ids.begin(), ids.end(),
                       [&](const ChunkId& id) { return m_seen.contains(id); });
  }
  // Counts a file taken over from the parent snapshot as deduplicated.
  void count_reused(std::uint64_t bytes, std::size_t chunks) {
    if (m_progress != nullptr) m_progress->add_bytes(bytes);
    const std::lock_guard lock(m_mutex);
    stats.chunks += chunks;
    stats.dedup_bytes += bytes;
  }

  // Where the workers write the ids of the chunks `feed` submits. The pipeline owns it, so it
  // outlives the workers on every way out: a caller's container would be freed while a worker
  // still writes into it when an error unwinds the caller first.
  std::deque<ChunkId>& chunk_ids() { return m_ids; }

  // Waits until every chunk submitted so far has its id (the tree needs them all).
  void drain() {
    std::unique_lock lock(m_mutex);
    m_drained.wait(lock, [&] { return m_pending == 0 || m_error; });
    if (m_error) std::rethrow_exception(m_error);
  }

  // Stores a tree's bytes as chunks of kind `tree`; returns their ids.
  std::vector<ChunkId> store_tree(const Bytes& tree) {
    auto& ids = m_tree_ids;
    ids.clear();
    auto tree_copy = std::make_shared<Buffer>(tree.size());
    if (!tree.empty()) std::memcpy(tree_copy->data(), tree.data(), tree.size());
    std::size_t start = 0;
    while (start < tree.size()) {
      const auto cut = m_chunker.next_cut({tree.data() + start, tree.size() - start});
      ids.emplace_back();
      submit({tree_copy, {tree_copy->data() + start, cut}, &ids.back(), BlobKind::tree});
      start += cut;
    }
    finish();
    return {ids.begin(), ids.end()};
  }

  // Waits until every chunk is stored and every pack committed.
  void finish() {
    m_jobs.close();
    join();
    m_finished = true;
    rethrow_if_failed();
  }

  SnapshotStats stats;
  std::atomic<std::uint64_t> packs{0};

 private:
  void join() {
    for (auto& worker : m_workers) {
      if (worker.joinable()) worker.join();
    }
    m_uploads.close();
    for (auto& uploader : m_uploaders) {
      if (uploader.joinable()) uploader.join();
    }
  }

  void record_failure() {
    {
      const std::lock_guard lock(m_mutex);
      if (!m_error) m_error = std::current_exception();
      m_drained.notify_all();
    }
    m_jobs.abort();
    m_uploads.abort();
  }

  void rethrow_if_failed() {
    const std::lock_guard lock(m_mutex);
    if (m_error) std::rethrow_exception(m_error);
  }

  void work_loop() {
    try {
      Compressor compressor;
      Buffer compressed;
      std::optional<PackBuilder> pack;
      while (auto job = m_jobs.pop()) {
        const auto id = chunk_id(m_repository.chunk_key(), job->data);
        *job->slot = id;
        const auto size = job->data.size();
        bool fresh = false;
        {
          const std::lock_guard lock(m_mutex);
          if (--m_pending == 0) m_drained.notify_all();
          fresh = m_seen.insert(id).second;
          ++stats.chunks;
          if (fresh) {
            ++stats.new_chunks;
            stats.new_bytes += size;
          } else {
            stats.dedup_bytes += size;
          }
        }
        if (!fresh) {
          continue;
        }
        const bool is_compressed = compressor.compress(job->data, compressed);
        if (!pack) pack.emplace(m_pack_buffers.take());
        const auto before = pack->size();
        pack->add(id, job->kind, is_compressed,
                  is_compressed ? ByteView(compressed) : ByteView(job->data),
                  static_cast<std::uint32_t>(size));
        job.reset();  // the slab may go back to the reader now
        {
          const std::lock_guard lock(m_mutex);
          stats.stored_bytes += pack->size() - before;
        }
        if (pack->size() >= k_pack_target_size) {
          if (!m_uploads.push(std::move(*pack).finish())) return;
          pack.reset();
        }
      }
      if (pack && !pack->empty()) m_uploads.push(std::move(*pack).finish());
    } catch (...) {
      record_failure();
    }
  }

  void upload_loop() {
    try {
      while (auto pack = m_uploads.pop()) {
        m_repository.commit_pack(std::move(pack->first), pack->second);
        m_pack_buffers.give(std::move(pack->second));
        ++packs;
      }
    } catch (...) {
      record_failure();
    }
  }

  Repository& m_repository;
  util::Progress* m_progress;
  Chunker m_chunker;
  SlabPool m_slabs;
  std::shared_ptr<Buffer> m_slab;  // being filled by the reader
  std::size_t m_slab_end = 0;      // how much of it is filled
  BoundedQueue<ChunkJob> m_jobs;
  BoundedQueue<std::pair<PackIndex, Buffer>> m_uploads;
  BufferPool m_pack_buffers;
  std::vector<std::thread> m_workers;
  std::vector<std::thread> m_uploaders;
  std::mutex m_mutex;
  std::unordered_set<ChunkId, ChunkIdHash> m_seen;
  std::exception_ptr m_error;
  std::condition_variable m_drained;
  std::size_t m_pending = 0;
  std::deque<ChunkId> m_ids;
  std::deque<ChunkId> m_tree_ids;
  bool m_finished = false;
};

bool is_excluded(const std::string& path, const std::vector<std::string>& excludes) {
  const auto base = path.substr(path.rfind('/') + 1);
  for (const auto& pattern : excludes) {
    const bool has_slash = pattern.find('/') != std::string::npos;
    if (::fnmatch(pattern.c_str(), has_slash ? path.c_str() : base.c_str(), 0) == 0) return true;
  }
  return false;
}

// Regular files and their bytes below `path`, as the walker will see them, for progress totals.
void estimate(const std::string& path, const std::vector<std::string>& excludes, bool top,
              std::uint64_t& files, std::uint64_t& bytes, const std::stop_token& stop) {
  if (stop.stop_requested()) return;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || (!top && is_excluded(path, excludes))) return;
  if (S_ISREG(st.st_mode)) {
    ++files;
    bytes += static_cast<std::uint64_t>(st.st_size);
    return;
  }
  if (!S_ISDIR(st.st_mode)) return;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return;
  std::vector<std::string> names;
  while (const auto* ent = ::readdir(dir)) {
    const std::string_view name = ent->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  const std::string base = path == "/" ? "" : path;
  for (const auto& name : names) estimate(base + "/" + name, excludes, false, files, bytes, stop);
}

struct PendingEntry {
  TreeEntry entry;
  std::size_t first_chunk = 0;
  std::size_t chunk_count = 0;
};

std::string relative_of(const std::string& absolute) {
  std::size_t i = 0;
  while (i < absolute.size() && absolute[i] == '/') ++i;
  return absolute.substr(i);
}

class Walker {
 public:
  Walker(Pipeline& pipeline, const CreateOptions& options, CreateResult& result)
      : m_pipeline(pipeline), m_options(options), m_result(result), m_ids(pipeline.chunk_ids()) {}

  // Files of the previous snapshot of the same source, for change detection.
  void set_parent(std::vector<TreeEntry> parent) {
    for (auto& entry : parent) {
      if (entry.type == EntryType::file) {
        auto path = entry.path;
        m_parent.emplace(std::move(path), std::move(entry));
      }
    }
  }

  void add_path(const std::string& given) {
    const auto absolute = std::filesystem::absolute(given).lexically_normal().string();
    std::string clean = absolute;
    while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
    struct stat st {};
    if (::lstat(clean.c_str(), &st) != 0) {
      fail(ErrorCode::not_found, "cannot back up " + given + ": " + std::strerror(errno));
    }
    // The ancestors, so a restore recreates them with their modes.
    std::string ancestor;
    std::size_t pos = 1;
    while ((pos = clean.find('/', pos)) != std::string::npos) {
      ancestor = clean.substr(0, pos);
      struct stat ast {};
      if (::lstat(ancestor.c_str(), &ast) == 0) add_entry(ancestor, ast, false);
      ++pos;
    }
    visit(clean, st, true);
  }

  void add_stream(int fd, const std::string& name, util::TimePoint time) {
    PendingEntry pending;
    pending.entry.type = EntryType::file;
    pending.entry.path = name;
    pending.entry.mode = 0600;
    pending.entry.uid = ::geteuid();
    pending.entry.gid = ::getegid();
    pending.entry.mtime_sec =
        std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
    pending.first_chunk = m_ids.size();
    pending.entry.size = m_pipeline.feed(fd, m_ids);
    pending.chunk_count = m_ids.size() - pending.first_chunk;
    m_result.snapshot.stats.bytes += pending.entry.size;
    ++m_result.snapshot.stats.files;
    m_entries.push_back(std::move(pending));
  }

  // The tree, sorted by path, with every file's chunk ids filled in (after the pipeline ran).
  std::vector<TreeEntry> tree() {
    std::vector<TreeEntry> entries;
    entries.reserve(m_entries.size());
    for (auto& pending : m_entries) {
      auto& e = pending.entry;
      e.chunks.assign(
          m_ids.begin() + static_cast<std::ptrdiff_t>(pending.first_chunk),
          m_ids.begin() + static_cast<std::ptrdiff_t>(pending.first_chunk + pending.chunk_count));
      entries.push_back(std::move(e));
    }
    std::sort(entries.begin(), entries.end(),
              [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
    return entries;
  }

 private:
  bool excluded(const std::string& path) const { return is_excluded(path, m_options.excludes); }

  void warn(const std::string& path, int error) {
    m_result.warnings.push_back(path + ": " + std::strerror(error));
    ++m_result.snapshot.stats.warnings;
  }

  void add_entry(const std::string& path, const struct stat& st, bool count) {
    auto relative = relative_of(path);
    if (relative.empty() || !m_emitted.insert(relative).second) return;
    PendingEntry pending;
    auto& e = pending.entry;
    e.path = std::move(relative);
    e.mode = st.st_mode & 07777;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.mtime_sec = st.st_mtim.tv_sec;
    e.mtime_nsec = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
    e.inode = st.st_ino;
    e.ctime_sec = st.st_ctim.tv_sec;
    e.ctime_nsec = static_cast<std::uint32_t>(st.st_ctim.tv_nsec);
    if (S_ISDIR(st.st_mode)) {
      e.type = EntryType::directory;
      if (count) ++m_result.snapshot.stats.directories;
    } else if (S_ISLNK(st.st_mode)) {
      e.type = EntryType::symlink;
      std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 256) + 1, '\0');
      const auto n = ::readlink(path.c_str(), target.data(), target.size());
      if (n < 0) {
        warn(path, errno);
        return;
      }
      target.resize(static_cast<std::size_t>(n));
      e.link_target = std::move(target);
      ++m_result.snapshot.stats.symlinks;
    } else if (const auto* same = unchanged(e, st); same != nullptr) {
      e.type = EntryType::file;
      e.size = same->size;
      pending.first_chunk = m_ids.size();
      m_ids.insert(m_ids.end(), same->chunks.begin(), same->chunks.end());
      pending.chunk_count = same->chunks.size();
      m_pipeline.count_reused(e.size, same->chunks.size());
      m_result.snapshot.stats.bytes += e.size;
      ++m_result.snapshot.stats.files;
      if (m_options.progress != nullptr) m_options.progress->add_file();
    } else {
      e.type = EntryType::file;
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) {
        warn(path, errno);
        m_emitted.erase(e.path);
        return;
      }
      const FdCloser closer(fd);
      pending.first_chunk = m_ids.size();
      e.size = m_pipeline.feed(fd, m_ids);
      pending.chunk_count = m_ids.size() - pending.first_chunk;
      m_result.snapshot.stats.bytes += e.size;
      ++m_result.snapshot.stats.files;
      if (m_options.progress != nullptr) m_options.progress->add_file();
    }
    m_entries.push_back(std::move(pending));
  }

  // The parent snapshot's entry for a regular file that has not changed since: same size,
  // modification and change times, and inode, with every chunk still stored.
  const TreeEntry* unchanged(const TreeEntry& e, const struct stat& st) {
    if (!S_ISREG(st.st_mode)) return nullptr;
    const auto found = m_parent.find(e.path);
    if (found == m_parent.end()) return nullptr;
    const auto& p = found->second;
    if (p.size != static_cast<std::uint64_t>(st.st_size) || p.mtime_sec != e.mtime_sec ||
        p.mtime_nsec != e.mtime_nsec || p.ctime_sec != e.ctime_sec ||
        p.ctime_nsec != e.ctime_nsec || p.inode != e.inode || !m_pipeline.all_known(p.chunks)) {
      return nullptr;
    }
    return &p;
  }

  void visit(const std::string& path, const struct stat& st, bool top) {
    if (!top && excluded(path)) return;
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
      return;  // fifos, sockets, devices
    add_entry(path, st, true);
    if (!S_ISDIR(st.st_mode)) return;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      warn(path, errno);
      return;
    }
    std::vector<std::string> names;
    while (const auto* ent = ::readdir(dir)) {
      const std::string_view name = ent->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    const std::string base = path == "/" ? "" : path;
    for (const auto& name : names) {
      const auto child = base + "/" + name;
      struct stat cst {};
      if (::lstat(child.c_str(), &cst) != 0) {
        warn(child, errno);
        continue;
      }
      visit(child, cst, false);
    }
  }

  Pipeline& m_pipeline;
  const CreateOptions& m_options;
  CreateResult& m_result;
  std::deque<ChunkId>& m_ids;  // the pipeline's
  std::vector<PendingEntry> m_entries;
  std::set<std::string> m_emitted;
  std::unordered_map<std::string, TreeEntry> m_parent;
};

// Runs `command` with /bin/sh -c and returns its pid and the read end of its stdout.
std::pair<pid_t, int> spawn_command(const std::string& command) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) fail(ErrorCode::internal, "cannot create a pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  const int rc =
      ::posix_spawn(&pid, "/bin/sh", &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    fail(ErrorCode::usage, std::string("cannot run /bin/sh: ") + std::strerror(rc));
  }
  return {pid, fds[0]};
}

std::string clean_stream_name(const std::string& name) {
  const auto clean = relative_of(std::filesystem::path(name).lexically_normal().string());
  if (clean.empty() || clean == "." || clean.starts_with("..")) {
    fail(ErrorCode::usage, "--stdin-name must name a file, such as db.sql");
  }
  return clean;
}

}  // namespace

std::string default_source(const CreateOptions& options) {
  std::string source = hostname() + ":";
  if (options.use_stdin || !options.from_command.empty()) {
    return source + clean_stream_name(options.stdin_name.empty() ? "stdin" : options.stdin_name);
  }
  std::vector<std::string> paths;
  for (const auto& p : options.paths)
    paths.push_back(std::filesystem::absolute(p).lexically_normal().string());
  std::sort(paths.begin(), paths.end());
  for (std::size_t i = 0; i < paths.size(); ++i) source += (i > 0 ? "," : "") + paths[i];
  return source;
}

CreateResult create_snapshot(Repository& repository, const CreateOptions& options) {
  const int sources = (options.paths.empty() ? 0 : 1) + (options.use_stdin ? 1 : 0) +
                      (options.from_command.empty() ? 0 : 1);
  if (sources != 1) {
    fail(ErrorCode::usage, "give paths, --stdin or --from-command (exactly one kind of source)");
  }
  CreateResult result;
  auto& snapshot = result.snapshot;
  snapshot.id = crypto::hex_encode(crypto::random_bytes(16));
  if (options.time) {
    snapshot.time = *options.time;
  } else {
    const auto moment = util::precise_now();
    snapshot.time = moment.second;
    snapshot.time_nanos = moment.nanos;
  }
  snapshot.hostname = hostname();
  snapshot.username = username();
  snapshot.tags = options.tags;
  snapshot.source = options.source.empty() ? default_source(options) : options.source;
  for (const auto& p : options.paths)
    snapshot.paths.push_back(std::filesystem::absolute(p).lexically_normal().string());

  const RepositoryLock lock(repository, RepositoryLock::Kind::shared);
  repository.load_index();
  const unsigned threads =
      options.threads > 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());

  // The newest earlier snapshot of the same source is the parent: its unchanged files are taken
  // over without reading them (as restic and borg do). Read before the pipeline starts, which
  // adds to the repository's index while it runs.
  std::vector<TreeEntry> parent_tree;
  if (!options.paths.empty()) {
    const auto all = repository.snapshots();
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      if (it->source != snapshot.source) continue;
      try {
        parent_tree = repository.load_tree(*it);
        result.parent = it->id;
      } catch (const Error& e) {
        if (e.code() != ErrorCode::auth) throw;
        // A damaged parent only costs reading everything again.
      }
      break;
    }
  }

  // Progress totals from a scan beside the backup (metadata only, so it finishes long before);
  // std::jthread asks it to stop and joins it on every way out.
  std::jthread estimator;
  if (options.progress != nullptr && !options.paths.empty()) {
    estimator = std::jthread([&options, &paths = snapshot.paths](const std::stop_token& stop) {
      std::uint64_t files = 0;
      std::uint64_t bytes = 0;
      for (const auto& path : paths) estimate(path, options.excludes, true, files, bytes, stop);
      if (!stop.stop_requested()) {
        options.progress->files_total = files;
        options.progress->bytes_total = bytes;
      }
    });
  }

  Pipeline pipeline(repository, threads, options.progress);
  Walker walker(pipeline, options, result);
  if (options.use_stdin) {
    const auto name = clean_stream_name(options.stdin_name.empty() ? "stdin" : options.stdin_name);
    snapshot.paths.push_back(name);
    walker.add_stream(options.stdin_fd, name, snapshot.time);
  } else if (!options.from_command.empty()) {
    const auto name = clean_stream_name(options.stdin_name.empty() ? "stdin" : options.stdin_name);
    snapshot.paths.push_back(name);
    const auto [pid, fd] = spawn_command(options.from_command);
    const FdCloser closer(fd);
    std::optional<Error> read_error;
    try {
      walker.add_stream(fd, name, snapshot.time);
    } catch (const Error& e) {
      read_error = e;
      ::kill(pid, SIGTERM);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (read_error) throw *read_error;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fail(ErrorCode::findings,
           "the --from-command command failed (" +
               (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                  : std::string("killed by a signal")) +
               "); no snapshot was written",
           "run the command by hand to see why; data already uploaded is reused next time");
    }
  } else {
    walker.set_parent(std::move(parent_tree));
    for (const auto& path : options.paths) walker.add_path(path);
  }

  pipeline.drain();
  auto tree = walker.tree();
  const auto tree_bytes = encode_tree(tree);
  snapshot.tree_size = tree_bytes.size();
  snapshot.tree = pipeline.store_tree(tree_bytes);
  const auto& stats = pipeline.stats;
  snapshot.stats.new_bytes = stats.new_bytes;
  snapshot.stats.dedup_bytes = stats.dedup_bytes;
  snapshot.stats.stored_bytes = stats.stored_bytes;
  snapshot.stats.chunks = stats.chunks;
  snapshot.stats.new_chunks = stats.new_chunks;
  result.packs = pipeline.packs;
  repository.write_snapshot(snapshot);
  return result;
}

}  // namespace ward::backup
