#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "ward/store/object_store.hpp"

namespace ward::maintenance {

struct MigrateResult {
  std::size_t objects = 0;  // objects in the source
  std::size_t copied = 0;   // written to the destination by this run
  std::size_t skipped = 0;  // already at the destination with the same bytes
  std::size_t bytes_copied = 0;
  std::size_t replaced_incomplete = 0;  // torn copies left at the destination by a killed run
  bool destination_atomic = true;       // how the destination does put-if-absent
};

// Called after each object with (objects done, objects in all).
using MigrateProgress = std::function<void(std::size_t, std::size_t)>;

// Copies every object of the store at `source` to `destination`, ciphertext as it is (no
// unlock needed), and checks each copy against the source's digest (through the destination's
// own proof where it gives one, confirms_writes(); by reading it back otherwise). Idempotent and
// resumable: objects already at the destination with the same bytes are skipped; an object that is
// there with other bytes is a conflict (Error conflict, nothing overwritten); a copy torn by a
// killed earlier run (it fails the destination backend's integrity check) is replaced. The `config`
// goes last, alone: until it is copied the destination is not a store, so an interrupted
// migration never leaves something that opens as a complete store.
MigrateResult migrate_store(store::ObjectStore& source, store::ObjectStore& destination,
                            const MigrateProgress& progress);

}  // namespace ward::maintenance
