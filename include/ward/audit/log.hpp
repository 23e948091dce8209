#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ward/audit/event.hpp"
#include "ward/crypto/secret.hpp"
#include "ward/crypto/signing.hpp"
#include "ward/store/object_store.hpp"

namespace ward::audit {

// `ward-checkpoint/v1 <store-id> <seq> <head-hash> <signature>`: one line that can be kept
// somewhere the store's writers do not control, and later proves the log was not truncated.
struct Checkpoint {
  std::string store_id;
  std::uint64_t seq = 0;
  std::string head_hash;  // hex
  std::string signature;  // base64 Ed25519 over the line without its signature
  [[nodiscard]] std::string signed_text() const;
  [[nodiscard]] std::string line() const;
  static Checkpoint parse(std::string_view line);  // throws Error(usage)
};

struct VerifyReport {
  std::uint64_t events = 0;
  std::uint64_t head_seq = 0;
  std::string head_hash;
  std::vector<std::string> problems;  // empty when the trail is intact
  std::optional<Checkpoint> checkpoint;
  bool checkpoint_matched = false;
  [[nodiscard]] bool ok() const { return problems.empty(); }
};

struct Filter {
  std::optional<std::string> since;   // RFC 3339 lower bound on time
  std::optional<std::string> action;  // exact, or a prefix ending in '.' ("cred.")
  std::optional<std::string> target;  // name or id
};

// The hash-chained, AEAD-encrypted audit trail at audit/<seq>.
class Log {
 public:
  Log(store::ObjectStore& store, const crypto::SecretBytes& audit_key, std::string store_id);

  // Appends with the next sequence number; retries when a concurrent writer took it.
  Event append(Event event);
  std::vector<Event> read(const Filter& filter = {});
  VerifyReport verify(const std::optional<Checkpoint>& published, const crypto::PublicKey& key);
  Checkpoint checkpoint(const crypto::SecretBytes& signing_seed);
  // Packs contiguous events, all but the newest, into segment objects of up to
  // `k_segment_events` once at least `min_events` are unsealed; returns how many were sealed.
  std::size_t seal(std::size_t min_events);

 private:
  struct RawEvent {
    std::string plaintext;  // empty when it could not be read
    std::string problem;    // why, when it could not
  };
  struct Segment {
    std::string name;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
  };
  std::vector<std::uint64_t> sequence_numbers();
  std::vector<Segment> segments();
  // Every event the store holds, from segments and single objects; disagreements between a
  // segment and a leftover single copy are reported in `problems`.
  std::map<std::uint64_t, RawEvent> collect(std::vector<std::string>& problems);
  std::vector<std::string> open_segment(const Segment& segment);
  std::string open_single(std::uint64_t seq);
  // The plaintext of event `seq` from its stored bytes; Error(auth) when it does not open.
  [[nodiscard]] std::string open_event(std::uint64_t seq, const store::Bytes& bytes) const;
  // The highest sequence number, found with O(log n) existence probes instead of a listing.
  std::uint64_t find_head();
  Event load(std::uint64_t seq, std::string* hash_hex);

  store::ObjectStore& m_store;
  const crypto::SecretBytes& m_key;
  std::string m_store_id;
};

std::string event_object_name(std::uint64_t seq);

inline constexpr std::size_t k_segment_events = 4096;

}  // namespace ward::audit
