#include "ward/redact/file_redact.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ward/error.hpp"
#include "ward/util/unique_fd.hpp"

namespace ward::redact {
namespace {

// Large enough that a chunk is worth a thread, small enough that the pooled buffers are reused
// (and stay in memory) after the first few chunks.
constexpr std::size_t k_read_block = std::size_t{4} << 20;

[[noreturn]] void io_error(const std::string& what, const std::string& path) {
  const int err = errno;
  const auto code = err == ENOENT ? ErrorCode::not_found : ErrorCode::usage;
  fail(err == ENOSPC ? ErrorCode::unreachable : code,
       "cannot " + what + " " + path + ": " + std::strerror(err));
}

void write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const auto n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error("write", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Output to a temp file beside the target, renamed over it by commit().
class AtomicOutput {
 public:
  AtomicOutput(const std::string& target, std::optional<mode_t> mode) : m_target(target) {
    const std::filesystem::path path(target);
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    m_dir = dir.string();
    auto pattern = (dir / ("." + path.filename().string() + ".ward-XXXXXX")).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    m_fd = util::UniqueFd(::mkstemp(name.data()));
    if (m_fd.get() < 0) io_error("create a temp file in", m_dir);
    m_temp = name.data();
    const auto final_mode = mode.value_or([] {
      const auto mask = ::umask(0);
      ::umask(mask);
      return static_cast<mode_t>(0666 & ~mask);
    }());
    if (::fchmod(m_fd.get(), final_mode) != 0) io_error("set the mode of", m_temp);
  }
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  AtomicOutput(AtomicOutput&&) = delete;
  AtomicOutput& operator=(AtomicOutput&&) = delete;
  ~AtomicOutput() {
    if (!m_committed && !m_temp.empty()) ::unlink(m_temp.c_str());
  }
  [[nodiscard]] int fd() const { return m_fd.get(); }
  [[nodiscard]] const std::string& temp() const { return m_temp; }
  void commit() {
    if (::fsync(m_fd.get()) != 0) io_error("sync", m_temp);
    m_fd.reset();
    if (::rename(m_temp.c_str(), m_target.c_str()) != 0) io_error("replace", m_target);
    m_committed = true;
    const util::UniqueFd dir(::open(m_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) (void)::fsync(dir.get());
  }

 private:
  std::string m_target;
  std::string m_dir;
  std::string m_temp;
  util::UniqueFd m_fd;
  bool m_committed = false;
};

struct ChunkResult {
  std::string input;  // the chunk itself, handed back for reuse
  std::string output;
  Stats stats;
  bool changed = false;
  bool output_is_input = false;  // nothing to redact: the chunk is written as it was read
};

// Chunk buffers are reused: a fresh 16 MiB allocation per chunk is paid for again in page
// faults on first touch, which cost more than scanning the chunk. Only the reading thread takes
// and returns buffers.
class BufferPool {
 public:
  std::string take() {
    if (m_free.empty()) {
      std::string fresh;
      fresh.reserve(2 * k_read_block);  // a block plus the tail of the previous one
      return fresh;
    }
    auto buffer = std::move(m_free.back());
    m_free.pop_back();
    buffer.clear();
    return buffer;
  }
  void give(std::string buffer) {
    if (buffer.capacity() >= k_read_block) m_free.push_back(std::move(buffer));
  }

 private:
  std::vector<std::string> m_free;
};

}  // namespace

FileResult process_file(const FileRedaction& redaction, const FileIo& io) {
  const bool from_stdin = io.input == "-";
  // Standard input is read, never owned (and so never closed).
  const util::UniqueFd owned(from_stdin ? -1 : ::open(io.input.c_str(), O_RDONLY | O_CLOEXEC));
  const int input = from_stdin ? 0 : owned.get();
  if (input < 0) io_error("open", io.input);
  struct stat st {};
  if (!from_stdin) {
    if (::fstat(input, &st) != 0) io_error("stat", io.input);
    if (S_ISDIR(st.st_mode)) fail(ErrorCode::usage, io.input + " is a directory");
  }
  const bool redacting = redaction.redactor != nullptr || !redaction.rules.empty();
  const bool writing = redacting && !io.dry_run;
  if (io.in_place && from_stdin) fail(ErrorCode::usage, "--in-place needs a file, not stdin");

  auto format = make_format(redaction);

  std::unique_ptr<AtomicOutput> atomic;
  int out_fd = -1;
  std::string out_name = io.in_place ? io.input : io.output;
  if (writing) {
    if (out_name == "-") {
      out_fd = 1;
    } else {
      if (out_name.empty()) fail(ErrorCode::usage, "redaction needs -o FILE, - or --in-place");
      std::optional<mode_t> mode;
      if (io.in_place) mode = st.st_mode & 07777;
      atomic = std::make_unique<AtomicOutput>(out_name, mode);
      out_fd = atomic->fd();
    }
  }

  FileResult result;
  const auto workers = std::max(1U, std::min(4U, std::thread::hardware_concurrency()));
  BufferPool pool;
  std::deque<std::future<ChunkResult>> pending;
  const auto drain_one = [&] {
    auto chunk = pending.front().get();
    pending.pop_front();
    if (out_fd >= 0)
      write_all(out_fd, chunk.output_is_input ? chunk.input : chunk.output, out_name);
    result.changed = result.changed || chunk.changed;
    result.stats.merge(chunk.stats, redaction.samples);
    pool.give(std::move(chunk.input));
    pool.give(std::move(chunk.output));
  };

  std::string buffer;
  bool eof = false;
  bool first = true;
  bool prepared = false;
  while (!eof || !buffer.empty()) {
    // Fill the buffer until a boundary appears (or the input ends).
    std::size_t cut = 0;
    while (!eof) {
      const auto old = buffer.size();
      buffer.resize(old + k_read_block);
      ssize_t n = 0;
      do {
        n = ::read(input, buffer.data() + old, k_read_block);
      } while (n < 0 && errno == EINTR);
      if (n < 0) io_error("read", io.input);
      buffer.resize(old + static_cast<std::size_t>(n));
      if (n == 0) eof = true;
      cut = format->boundary(buffer, eof);
      // The head (a CSV header) is read once the first record is whole: a pipe may return it
      // a few bytes at a time. (tests/fuzz/fuzz_redact_formats.cpp drives this loop too.)
      if (!prepared && (cut > 0 || eof)) {
        format->prepare(buffer);
        prepared = true;
      }
      if (cut > 0 && buffer.size() >= k_read_block) break;
    }
    if (eof) cut = format->boundary(buffer, true);
    if (!prepared) {
      format->prepare(buffer);
      prepared = true;
    }
    if (cut == 0 && buffer.empty()) break;
    // The bytes after the cut (usually part of one line) start the next chunk.
    std::string next = pool.take();
    next.assign(buffer, cut, std::string::npos);
    buffer.resize(cut);
    std::string output = writing ? pool.take() : std::string();
    const bool is_first = first;
    first = false;
    pending.push_back(
        std::async(std::launch::async, [&format, chunk = std::move(buffer),
                                        output = std::move(output), is_first, writing]() mutable {
          ChunkResult out;
          std::vector<Edit> edits;
          format->edits(chunk, is_first, edits, out.stats);
          out.stats.bytes = chunk.size();
          out.changed = !edits.empty();
          if (writing && !edits.empty()) apply_edits(chunk, edits, output);
          out.output_is_input = edits.empty();
          out.input = std::move(chunk);
          out.output = std::move(output);
          return out;
        }));
    buffer = std::move(next);
    while (pending.size() > workers) drain_one();
  }
  while (!pending.empty()) drain_one();

  if (atomic) {
    if (io.in_place && !result.changed) return result;  // nothing to redact: leave it alone
    atomic->commit();
  }
  return result;
}

}  // namespace ward::redact
