#pragma once

#include <chrono>
#include <memory>

#include "ward/store/object_store.hpp"

namespace ward::store {

// Put-if-absent for backends that cannot do it atomically (S3-compatible servers that ignore
// `If-None-Match: *`). A writer first looks for the name; if absent it writes
// `<name>~<suffix>`, where the suffix is a fixed-width timestamp plus random bits and the
// object's size, lists the candidates again, and keeps its object only if its suffix is the
// smallest; otherwise it removes it and reports that another writer won. Readers apply the
// same rule, so every reader agrees on the winner. A candidate the listing shows shorter than
// its recorded size is being written (it counts: the name is taken, reads are a conflict) or
// was left by a killed writer on a server that stores uploads in place: once older than its
// writer's time limit it no longer counts, and a writer that took longer than half that limit
// withdraws, so the two never both win. The rule relies on writers' clocks ordering their writes:
// two writers whose clocks disagree by more than a write-and-list round trip can both believe they
// won; ward init records the mode in `config` so `ward store info` says which guarantee holds.
//
// For `listing_reuse` after a list(), batches take what that listing settled instead of
// listing again (a migration lists a whole store, then reads or writes it batch by batch).
std::unique_ptr<ObjectStore> make_suffix_put_store(
    std::unique_ptr<ObjectStore> inner,
    std::chrono::milliseconds listing_reuse = std::chrono::minutes(5));

// The character that separates a logical name from its candidate suffix; logical object names
// never contain it.
inline constexpr char k_candidate_separator = '~';

}  // namespace ward::store
