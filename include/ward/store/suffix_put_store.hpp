#pragma once

#include <memory>

#include "ward/store/object_store.hpp"

namespace ward::store {

// Put-if-absent for backends that cannot do it atomically (S3-compatible servers that ignore
// `If-None-Match: *`). A writer first looks for the name; if absent it writes
// `<name>~<suffix>`, where the suffix is a fixed-width timestamp plus random bits, lists the
// candidates again, and keeps its object only if its suffix is the smallest; otherwise it
// removes it and reports that another writer won. Readers apply the same rule, so every reader
// agrees on the winner. The rule relies on writers' clocks ordering their writes: two writers
// whose clocks disagree by more than a write-and-list round trip can both believe they won;
// ward init records the mode in `config` so `ward store info` says which guarantee holds.
std::unique_ptr<ObjectStore> make_suffix_put_store(std::unique_ptr<ObjectStore> inner);

// The character that separates a logical name from its candidate suffix; logical object names
// never contain it.
inline constexpr char k_candidate_separator = '~';

}  // namespace ward::store
