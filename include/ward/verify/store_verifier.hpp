#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ward/audit/log.hpp"
#include "ward/keyring/keyring.hpp"

namespace ward::verify {

struct StoreReport {
  std::size_t objects = 0;      // objects read and authenticated
  std::size_t credentials = 0;  // credential objects
  std::size_t namespaces = 0;
  std::vector<std::string> problems;  // damage, tampering, inconsistency
  std::vector<std::string> notes;     // harmless leftovers of interrupted operations
  audit::VerifyReport audit;
  [[nodiscard]] bool ok() const { return problems.empty(); }
};

// Reads every object of the store and checks that it authenticates under the key its header
// names and sits where its content says it belongs; verifies the audit chain.
StoreReport verify_store(keyring::Keyring& keyring, audit::Log& log);

}  // namespace ward::verify
