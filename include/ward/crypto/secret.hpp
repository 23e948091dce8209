#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace ward::crypto {

// Allocator for secret material: pages are mlock()ed where the process is allowed to, and
// every byte is cleansed before it is returned to the heap (also on vector growth).
template <typename T>
struct SecureAllocator {
  using value_type = T;
  SecureAllocator() noexcept = default;
  template <typename U>
  SecureAllocator(const SecureAllocator<U>& /*other*/) noexcept {
  }  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n);
  void deallocate(T* p, std::size_t n) noexcept;
  friend bool operator==(const SecureAllocator&, const SecureAllocator&) noexcept { return true; }
};

void* secure_allocate(std::size_t bytes);
void secure_deallocate(void* p, std::size_t bytes) noexcept;

template <typename T>
T* SecureAllocator<T>::allocate(std::size_t n) {
  return static_cast<T*>(secure_allocate(n * sizeof(T)));
}
template <typename T>
void SecureAllocator<T>::deallocate(T* p, std::size_t n) noexcept {
  secure_deallocate(p, n * sizeof(T));
}

// Bytes that are secret: zeroed on destruction, move-only (copies are explicit via clone()),
// and deliberately not printable — there is no operator<< and no implicit conversion to
// string. Reading the value is spelled reveal(), so every place that does it is greppable.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : m_bytes(size) {}
  SecretBytes(const void* data, std::size_t size);
  static SecretBytes from(std::string_view text) { return {text.data(), text.size()}; }

  SecretBytes(SecretBytes&&) noexcept = default;
  SecretBytes& operator=(SecretBytes&&) noexcept = default;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes() = default;

  [[nodiscard]] SecretBytes clone() const { return {m_bytes.data(), m_bytes.size()}; }

  [[nodiscard]] std::uint8_t* data() noexcept { return m_bytes.data(); }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return m_bytes.data(); }
  [[nodiscard]] std::size_t size() const noexcept { return m_bytes.size(); }
  [[nodiscard]] bool empty() const noexcept { return m_bytes.empty(); }
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return m_bytes; }
  [[nodiscard]] std::span<std::uint8_t> bytes() noexcept { return m_bytes; }
  [[nodiscard]] std::string_view reveal() const noexcept {
    return {reinterpret_cast<const char*>(m_bytes.data()), m_bytes.size()};
  }

  void resize(std::size_t size) { m_bytes.resize(size); }
  void append(std::span<const std::uint8_t> more) {
    m_bytes.insert(m_bytes.end(), more.begin(), more.end());
  }
  void append(std::string_view more) {
    append({reinterpret_cast<const std::uint8_t*>(more.data()), more.size()});
  }

  // Constant-time comparison.
  [[nodiscard]] bool equals(const SecretBytes& other) const noexcept;

 private:
  std::vector<std::uint8_t, SecureAllocator<std::uint8_t>> m_bytes;
};

// Makes the process undumpable and disables core files, so secret memory cannot end up in a
// core dump. Called once by main before any secret is read.
void harden_process() noexcept;

}  // namespace ward::crypto
