#include "ward/redact/chunker.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "ward/error.hpp"

namespace ward::redact {

void ChunkBuffer::reserve(std::size_t capacity) {
  if (capacity <= m_capacity) return;
  auto grown = std::make_unique_for_overwrite<char[]>(capacity);
  if (m_size > 0) std::memcpy(grown.get(), m_data.get(), m_size);
  m_data = std::move(grown);
  m_capacity = capacity;
}

char* ChunkBuffer::extend(std::size_t n) {
  if (m_capacity - m_size < n) reserve(std::max(2 * m_capacity, m_size + n));
  return m_data.get() + m_size;
}

void ChunkBuffer::assign(std::string_view bytes) {
  m_size = 0;
  if (!bytes.empty()) std::memcpy(extend(bytes.size()), bytes.data(), bytes.size());
  m_size = bytes.size();
}

Chunker::Chunker(Format& format, std::size_t block, Read read)
    : m_format(format), m_block(block), m_read(std::move(read)) {}

bool Chunker::next(ChunkBuffer& chunk) {
  std::size_t cut = 0;
  while (!m_eof) {
    const auto old = m_buffer.size();
    const auto n = m_read(m_buffer.extend(m_block), m_block);
    m_buffer.resize(old + n);
    if (n == 0) m_eof = true;
    cut = m_format.boundary(m_buffer.view(), m_eof);
    if (cut > m_buffer.size()) fail(ErrorCode::internal, "a record boundary past the data read");
    if (!m_prepared && (cut > 0 || m_eof)) {
      m_format.prepare(m_buffer.view());
      m_prepared = true;
    }
    if (cut > 0 && m_buffer.size() >= m_block) break;
  }
  if (m_eof) {
    cut = m_format.boundary(m_buffer.view(), true);
    // Anything less would leave bytes no later call could hand out.
    if (cut != m_buffer.size()) fail(ErrorCode::internal, "the end of input is not a boundary");
  }
  if (!m_prepared) {
    m_format.prepare(m_buffer.view());
    m_prepared = true;
  }
  if (m_buffer.empty()) return false;
  // The bytes after the cut (usually part of one record) go to the caller's buffer, which
  // becomes the read buffer; the chunk leaves in the one it was read into.
  chunk.assign(m_buffer.view().substr(cut));
  std::swap(chunk, m_buffer);
  chunk.resize(cut);
  return true;
}

}  // namespace ward::redact
