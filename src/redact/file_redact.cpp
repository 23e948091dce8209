#include "ward/redact/file_redact.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ward/error.hpp"
#include "ward/redact/chunker.hpp"
#include "ward/util/unique_fd.hpp"

namespace ward::redact {
namespace {

// Large enough that a chunk is worth a thread, small enough that the pooled buffers are reused
// (and stay in memory) after the first few chunks.
constexpr std::size_t k_read_block = std::size_t{1} << 20;

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

// One chunk and what became of it. Jobs are recycled from chunk to chunk with their buffers'
// capacity: a fresh 8 MiB allocation per chunk is paid for again in page faults on first touch,
// which cost more than scanning the chunk.
struct Job {
  ChunkBuffer input;
  std::string output;
  std::vector<Edit> edits;
  Stats stats;
  bool first = false;
  bool changed = false;
  bool output_is_input = false;  // nothing to redact: the chunk is written as it was read
  bool done = false;
  std::exception_ptr error;
};

// Threads that live as long as one file and process its chunks; results come back in the
// order the chunks went in. Living threads keep their scratch (Hyperscan's, the scanner's
// candidate lists) from one chunk to the next, where a thread per chunk started cold.
class Workers {
 public:
  Workers(unsigned count, std::function<void(Job&)> work) : m_work(std::move(work)) {
    for (unsigned i = 0; i < count; ++i) m_threads.emplace_back([this] { loop(); });
  }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;
  Workers(Workers&&) = delete;
  Workers& operator=(Workers&&) = delete;
  ~Workers() {
    {
      const std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_wake.notify_all();
    for (auto& thread : m_threads) thread.join();
  }

  [[nodiscard]] std::size_t in_flight() const { return m_order.size(); }

  void push(std::unique_ptr<Job> job) {
    {
      const std::lock_guard lock(m_mutex);
      job->done = false;
      job->error = nullptr;
      m_queue.push_back(job.get());
      m_order.push_back(std::move(job));
    }
    m_wake.notify_one();
  }

  // The oldest job pushed, once it is done; rethrows what its work threw.
  std::unique_ptr<Job> pop() {
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [&] { return m_order.front()->done; });
    auto job = std::move(m_order.front());
    m_order.pop_front();
    lock.unlock();
    if (job->error) std::rethrow_exception(job->error);
    return job;
  }

 private:
  void loop() {
    for (;;) {
      Job* job = nullptr;
      {
        std::unique_lock lock(m_mutex);
        m_wake.wait(lock, [&] { return m_stop || !m_queue.empty(); });
        if (m_stop) return;
        job = m_queue.front();
        m_queue.pop_front();
      }
      try {
        m_work(*job);
      } catch (...) {
        job->error = std::current_exception();
      }
      {
        const std::lock_guard lock(m_mutex);
        job->done = true;
      }
      m_done.notify_all();
    }
  }

  std::function<void(Job&)> m_work;
  std::mutex m_mutex;
  std::condition_variable m_wake;            // a job was queued, or stop
  std::condition_variable m_done;            // a job is done
  std::deque<Job*> m_queue;                  // not started
  std::deque<std::unique_ptr<Job>> m_order;  // every job pushed and not popped, oldest first
  bool m_stop = false;
  std::vector<std::thread> m_threads;
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
  Chunker chunker(*format, k_read_block, [&](char* into, std::size_t max) {
    ssize_t n = 0;
    do {
      n = ::read(input, into, max);
    } while (n < 0 && errno == EINTR);
    if (n < 0) io_error("read", io.input);
    return static_cast<std::size_t>(n);
  });
  std::vector<std::unique_ptr<Job>> spare;
  const auto take_job = [&] {
    if (spare.empty()) {
      auto job = std::make_unique<Job>();
      job->input.reserve(2 * k_read_block);  // a block plus the tail of the previous one
      return job;
    }
    auto job = std::move(spare.back());
    spare.pop_back();
    return job;
  };
  const unsigned threads = std::max(1U, std::min(4U, std::thread::hardware_concurrency()));
  // Declared after `format`, so the threads stop before what they use goes away.
  Workers workers(threads, [&format, writing](Job& job) {
    job.edits.clear();
    job.output.clear();
    job.stats = Stats{};
    format->edits(job.input.view(), job.first, job.edits, job.stats);
    job.stats.bytes = job.input.size();
    job.changed = !job.edits.empty();
    if (writing && !job.edits.empty()) apply_edits(job.input.view(), job.edits, job.output);
    job.output_is_input = job.edits.empty();
  });
  const auto drain_one = [&] {
    auto job = workers.pop();
    if (out_fd >= 0)
      write_all(out_fd, job->output_is_input ? job->input.view() : job->output, out_name);
    result.changed = result.changed || job->changed;
    result.stats.merge(job->stats, redaction.samples);
    spare.push_back(std::move(job));
  };

  bool first = true;
  for (;;) {
    auto job = take_job();
    if (!chunker.next(job->input)) break;
    job->first = first;
    first = false;
    workers.push(std::move(job));
    // Two chunks per thread in flight: one being processed, one read and waiting.
    while (workers.in_flight() >= std::size_t{2} * threads) drain_one();
  }
  while (workers.in_flight() > 0) drain_one();

  if (atomic) {
    if (io.in_place && !result.changed) return result;  // nothing to redact: leave it alone
    atomic->commit();
  }
  return result;
}

}  // namespace ward::redact
