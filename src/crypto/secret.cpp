#include "ward/crypto/secret.hpp"

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace ward::crypto {

void* secure_allocate(std::size_t bytes) {
  if (bytes == 0) {
    bytes = 1;  // malloc(0) may return nullptr, which allocators must not
  }
  // calloc rather than malloc: the pages are touched before mlock, and no stale heap bytes
  // ever sit beside a secret.
  void* p = std::calloc(1, bytes);
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  // Best effort: unprivileged processes have a small RLIMIT_MEMLOCK, and a secret that is not
  // locked is still better than no secret at all. Core dumps are disabled separately.
  (void)::mlock(p, bytes);
  return p;
}

void secure_deallocate(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) {
    return;
  }
  if (bytes == 0) {
    bytes = 1;
  }
  OPENSSL_cleanse(p, bytes);
  (void)::munlock(p, bytes);
  std::free(p);
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
