#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "ward/redact/format.hpp"

namespace ward::redact {

// The bytes of one chunk. Unlike a std::string it is not zero-filled when it grows: for every
// block read that would cost as much as the read itself.
class ChunkBuffer {
 public:
  [[nodiscard]] std::string_view view() const { return {m_data.get(), m_size}; }
  [[nodiscard]] std::size_t size() const { return m_size; }
  [[nodiscard]] bool empty() const { return m_size == 0; }
  // Room for `n` more bytes after the contents (kept); returns where they go. Call resize()
  // with the number actually written.
  char* extend(std::size_t n);
  // Keeps the first `n` bytes; `n` at most what extend() made room for.
  void resize(std::size_t n) { m_size = n; }
  void assign(std::string_view bytes);
  void reserve(std::size_t capacity);

 private:
  std::unique_ptr<char[]> m_data;
  std::size_t m_size = 0;
  std::size_t m_capacity = 0;
};

// Cuts an input into chunks of whole records where `format` draws their boundaries: reads of up
// to `block` bytes are gathered until a record ends and at least a block is held, or the input
// ends. The format's prepare() sees the head once its first record is whole (a pipe may return a
// CSV header a few bytes at a time). process_file and the redaction fuzz target both read
// through this, so the fuzzer checks the chunking that runs.
class Chunker {
 public:
  // Reads up to `max` bytes into `into`; 0 at the end of the input. Throws on errors.
  using Read = std::function<std::size_t(char* into, std::size_t max)>;

  Chunker(Format& format, std::size_t block, Read read);

  // Puts the next chunk in `chunk` and returns true, or returns false once the input is used up.
  // A chunk is never empty. What `chunk` held before is dropped; its memory is kept for the
  // bytes after the cut, so buffers handed in again and again are not allocated afresh.
  bool next(ChunkBuffer& chunk);

 private:
  Format& m_format;
  std::size_t m_block;
  Read m_read;
  ChunkBuffer m_buffer;  // read, not yet handed out
  bool m_eof = false;
  bool m_prepared = false;
};

}  // namespace ward::redact
