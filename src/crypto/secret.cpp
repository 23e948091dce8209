#include "ward/crypto/secret.hpp"

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>

namespace ward::crypto {

namespace {

// mlock works on whole pages and does not nest: unlocking one secret would unlock every other
// secret on the same page. Counting locks per page fixes that, and turns the many small
// secrets that share a page into one mlock instead of one per allocation.
class PageLocks {
 public:
  void lock(const void* p, std::size_t bytes) { update(p, bytes, true); }
  void unlock(const void* p, std::size_t bytes) { update(p, bytes, false); }

 private:
  void update(const void* p, std::size_t bytes, bool locking) {
    static const auto page_size = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto first = reinterpret_cast<std::uintptr_t>(p) & ~(page_size - 1);
    const auto last = (reinterpret_cast<std::uintptr_t>(p) + bytes - 1) & ~(page_size - 1);
    const std::lock_guard guard(m_mutex);
    for (auto page = first; page <= last; page += page_size) {
      auto* address = reinterpret_cast<void*>(page);
      if (locking) {
        // Best effort: unprivileged processes have a small RLIMIT_MEMLOCK, and a secret that
        // is not locked is still better than no secret at all.
        if (m_counts[page]++ == 0) (void)::mlock(address, page_size);
      } else if (auto found = m_counts.find(page);
                 found != m_counts.end() && --found->second == 0) {
        (void)::munlock(address, page_size);
        m_counts.erase(found);
      }
    }
  }

  std::mutex m_mutex;
  std::unordered_map<std::uintptr_t, std::uint32_t> m_counts;
};

PageLocks& page_locks() {
  static PageLocks locks;
  return locks;
}

}  // namespace

void* secure_allocate(std::size_t bytes) {
  bytes = std::max<std::size_t>(bytes, 1);
  void* p = ::operator new(bytes);
  // Zeroed first: no stale heap bytes ever sit beside a secret.
  std::memset(p, 0, bytes);
  page_locks().lock(p, bytes);
  return p;
}

void secure_deallocate(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
  bytes = std::max<std::size_t>(bytes, 1);
  OPENSSL_cleanse(p, bytes);
  page_locks().unlock(p, bytes);
  ::operator delete(p);
}

SecretBytes::SecretBytes(const void* data, std::size_t size) : m_bytes(size) {
  if (size != 0) {
    std::memcpy(m_bytes.data(), data, size);
  }
}

bool SecretBytes::equals(const SecretBytes& other) const noexcept {
  // Only the length leaks, which callers treat as public anyway.
  if (m_bytes.size() != other.m_bytes.size()) {
    return false;
  }
  if (m_bytes.empty()) {
    return true;
  }
  return CRYPTO_memcmp(m_bytes.data(), other.m_bytes.data(), m_bytes.size()) == 0;
}

void harden_process() noexcept {
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct rlimit no_core {};
  no_core.rlim_cur = 0;
  no_core.rlim_max = 0;
  (void)::setrlimit(RLIMIT_CORE, &no_core);
}

}  // namespace ward::crypto
