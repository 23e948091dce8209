#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace ward::backup {

// A blocking queue with a capacity, so a fast producer waits for slow consumers and memory
// stays bounded. close() lets consumers drain and stop; abort() stops everyone at once.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : m_capacity(capacity) {}

  // False when the queue was aborted (the item is dropped).
  bool push(T item) {
    std::unique_lock lock(m_mutex);
    m_not_full.wait(lock, [&] { return m_aborted || m_items.size() < m_capacity; });
    if (m_aborted) return false;
    m_items.push_back(std::move(item));
    m_not_empty.notify_one();
    return true;
  }

  // nullopt once the queue is closed and drained, or aborted.
  std::optional<T> pop() {
    std::unique_lock lock(m_mutex);
    m_not_empty.wait(lock, [&] { return m_aborted || m_closed || !m_items.empty(); });
    if (m_aborted || m_items.empty()) return std::nullopt;
    T item = std::move(m_items.front());
    m_items.pop_front();
    m_not_full.notify_one();
    return item;
  }

  void close() {
    const std::lock_guard lock(m_mutex);
    m_closed = true;
    m_not_empty.notify_all();
  }

  void abort() {
    const std::lock_guard lock(m_mutex);
    m_aborted = true;
    m_items.clear();
    m_not_empty.notify_all();
    m_not_full.notify_all();
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_not_empty;
  std::condition_variable m_not_full;
  std::deque<T> m_items;
  std::size_t m_capacity;
  bool m_closed = false;
  bool m_aborted = false;
};

}  // namespace ward::backup
