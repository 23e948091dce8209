#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "ward/keyring/keyring.hpp"

namespace ward::maintenance {

struct Report {
  std::size_t stale_temporaries = 0;       // temp files of killed writers
  std::size_t superseded_generations = 0;  // older generations of rewrapped objects
  std::size_t sealed_events = 0;           // audit events packed into segments
  // Objects whose newest generation does not open (damaged, or left by an interrupted
  // master-key rotation): nothing newer than their good generation is removed.
  std::vector<std::string> unopenable_newest;
};

// Deferred work that no command needs to wait for: leftovers of interrupted writes, rewraps
// and master-key rotations. An older generation is removed only when a newer one of the same
// object authenticates, so maintenance never deletes the last good copy.
Report run(keyring::Keyring& keyring, std::chrono::seconds temp_age, std::size_t seal_min_events);

}  // namespace ward::maintenance
