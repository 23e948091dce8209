#include "ward/audit/log.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

#include "ward/crypto/aead.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/hash.hpp"
#include "ward/error.hpp"
#include "ward/util/duration.hpp"

namespace ward::audit {
namespace {

constexpr std::string_view k_prefix = "audit/";
constexpr std::string_view k_checkpoint_prefix = "audit/checkpoints/";
constexpr std::string_view k_segment_prefix = "audit/seg/";
constexpr std::string_view k_checkpoint_tag = "ward-checkpoint/v1";
constexpr int k_append_attempts = 64;
constexpr std::string_view k_genesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

std::vector<std::uint8_t> event_aad(const std::string& name) {
  const std::string aad = "ward.audit.v1" + name;
  return {aad.begin(), aad.end()};
}

std::vector<std::uint8_t> segment_aad(const std::string& name) {
  const std::string aad = "ward.audit.seg.v1" + name;
  return {aad.begin(), aad.end()};
}

std::string segment_object_name(std::uint64_t first, std::uint64_t last) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "audit/seg/%012llu-%012llu",
                static_cast<unsigned long long>(first), static_cast<unsigned long long>(last));
  return buffer;
}

std::optional<std::uint64_t> parse_seq(std::string_view digits) {
  if (digits.size() != 12) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

bool matches(const Event& event, const Filter& filter) {
  if (filter.since && event.time < *filter.since) return false;
  if (filter.action) {
    const auto& a = *filter.action;
    if (a.ends_with('.') ? !event.action.starts_with(a) : event.action != a) return false;
  }
  if (filter.target && event.target != *filter.target && event.target_id != *filter.target)
    return false;
  return true;
}

}  // namespace

std::string event_object_name(std::uint64_t seq) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "audit/%012llu", static_cast<unsigned long long>(seq));
  return buffer;
}

std::string Checkpoint::signed_text() const {
  return std::string(k_checkpoint_tag) + " " + store_id + " " + std::to_string(seq) + " " +
         head_hash;
}

std::string Checkpoint::line() const { return signed_text() + " " + signature; }

Checkpoint Checkpoint::parse(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= line.size()) {
    const auto end = std::min(line.find(' ', start), line.size());
    parts.emplace_back(line.substr(start, end - start));
    start = end + 1;
  }
  const auto bad = [] {
    fail(ErrorCode::usage, "malformed checkpoint",
         "a checkpoint is one line: ward-checkpoint/v1 <store-id> <seq> <head-hash> <signature>");
  };
  if (parts.size() != 5 || parts[0] != k_checkpoint_tag) bad();
  Checkpoint checkpoint;
  checkpoint.store_id = parts[1];
  const auto [end, ec] =
      std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), checkpoint.seq);
  if (ec != std::errc{} || end != parts[2].data() + parts[2].size()) bad();
  checkpoint.head_hash = parts[3];
  checkpoint.signature = parts[4];
  if (checkpoint.head_hash.size() != 64) bad();
  return checkpoint;
}

Log::Log(store::ObjectStore& store, const crypto::SecretBytes& audit_key, std::string store_id)
    : m_store(store), m_key(audit_key), m_store_id(std::move(store_id)) {}

std::vector<std::uint64_t> Log::sequence_numbers() {
  std::vector<std::uint64_t> seqs;
  for (const auto& name : m_store.list(std::string(k_prefix))) {
    if (auto seq = parse_seq(std::string_view(name).substr(k_prefix.size()))) seqs.push_back(*seq);
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

std::string Log::open_single(std::uint64_t seq) {
  const auto bytes = m_store.get(event_object_name(seq));
  if (!bytes) return {};
  return open_event(seq, *bytes);
}

std::string Log::open_event(std::uint64_t seq, const store::Bytes& bytes) const {
  const auto name = event_object_name(seq);
  try {
    return std::string(crypto::aead_open(m_key, bytes, event_aad(name)).reveal());
  } catch (const Error&) {
    fail(ErrorCode::auth, "audit event " + std::to_string(seq) + " fails authentication",
         "the audit trail is damaged or was tampered with; run `ward audit verify`");
  }
}

Event Log::load(std::uint64_t seq, std::string* hash_hex) {
  auto plaintext = open_single(seq);
  if (plaintext.empty()) {
    for (const auto& segment : segments()) {
      if (seq < segment.first || seq > segment.last) continue;
      auto events = open_segment(segment);
      plaintext = std::move(events.at(seq - segment.first));
      break;
    }
  }
  if (plaintext.empty()) {
    fail(ErrorCode::auth, "audit event " + std::to_string(seq) + " is missing",
         "run `ward audit verify`");
  }
  if (hash_hex != nullptr)
    *hash_hex = crypto::hex_encode(crypto::sha256(crypto::as_bytes(plaintext)));
  const auto document = nlohmann::json::parse(plaintext, nullptr, false);
  if (!document.is_object()) {
    fail(ErrorCode::auth, "audit event " + std::to_string(seq) + " is malformed");
  }
  return Event::from_json(document);
}

std::vector<Log::Segment> Log::segments() {
  std::vector<Segment> found;
  for (const auto& name : m_store.list(std::string(k_segment_prefix))) {
    const auto leaf = std::string_view(name).substr(k_segment_prefix.size());
    const auto dash = leaf.find('-');
    if (dash == std::string_view::npos) continue;
    const auto first = parse_seq(leaf.substr(0, dash));
    const auto last = parse_seq(leaf.substr(dash + 1));
    if (!first || !last || *first == 0 || *last < *first) continue;
    found.push_back({name, *first, *last});
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return found;
}

// A segment's plaintext is its events' plaintexts, each preceded by a u32 big-endian length.
std::vector<std::string> Log::open_segment(const Segment& segment) {
  const auto bytes = m_store.get(segment.name);
  if (!bytes) fail(ErrorCode::auth, "audit segment " + segment.name + " is missing");
  crypto::SecretBytes plaintext;
  try {
    plaintext = crypto::aead_open(m_key, *bytes, segment_aad(segment.name));
  } catch (const Error&) {
    fail(ErrorCode::auth, "audit segment " + segment.name + " fails authentication",
         "the audit trail is damaged or was tampered with; run `ward audit verify`");
  }
  std::vector<std::string> events;
  const auto text = plaintext.reveal();
  std::size_t pos = 0;
  while (pos + 4 <= text.size()) {
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) length = (length << 8) | static_cast<std::uint8_t>(text[pos + i]);
    pos += 4;
    if (length == 0 || text.size() - pos < length) break;
    events.emplace_back(text.substr(pos, length));
    pos += length;
  }
  if (pos != text.size() || events.size() != segment.last - segment.first + 1) {
    fail(ErrorCode::auth, "audit segment " + segment.name + " is malformed");
  }
  return events;
}

std::map<std::uint64_t, Log::RawEvent> Log::collect(std::vector<std::string>& problems) {
  std::map<std::uint64_t, RawEvent> events;
  for (const auto& segment : segments()) {
    try {
      auto contents = open_segment(segment);
      for (std::uint64_t i = 0; i < contents.size(); ++i) {
        events[segment.first + i].plaintext = std::move(contents[i]);
      }
    } catch (const Error& e) {
      if (e.code() != ErrorCode::auth) throw;
      for (auto seq = segment.first; seq <= segment.last; ++seq) {
        events[seq].problem = "event " + std::to_string(seq) + " is in a damaged segment";
      }
      problems.emplace_back(e.what());
    }
  }
  // The events not yet sealed in one batch read (parallel on remote stores).
  const auto seqs = sequence_numbers();
  std::vector<std::string> names;
  names.reserve(seqs.size());
  for (const auto seq : seqs) names.push_back(event_object_name(seq));
  auto reads = m_store.get_batch(names);
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    const auto seq = seqs[i];
    RawEvent single;
    try {
      if (reads[i].error) throw *reads[i].error;
      if (reads[i].bytes) single.plaintext = open_event(seq, *reads[i].bytes);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::auth) throw;
      single.problem = "event " + std::to_string(seq) +
                       " fails authentication (modified, or moved from another position)";
    }
    auto found = events.find(seq);
    if (found == events.end()) {
      events.emplace(seq, std::move(single));
    } else if (!single.problem.empty()) {
      problems.push_back(single.problem);
    } else if (found->second.problem.empty() && found->second.plaintext != single.plaintext) {
      problems.push_back("event " + std::to_string(seq) + " differs from its sealed copy");
    }
  }
  return events;
}

std::uint64_t Log::find_head() {
  const auto present = [&](std::uint64_t seq) { return m_store.contains(event_object_name(seq)); };
  const auto sealed = segments();
  const std::uint64_t base = sealed.empty() ? 0 : sealed.back().last;
  if (!present(base + 1)) return base;
  std::uint64_t low = base + 1;  // present
  std::uint64_t step = 1;
  std::uint64_t high = low + step;
  while (present(high)) {
    low = high;
    step *= 2;
    high = low + step;
  }
  while (high - low > 1) {  // low present, high absent
    const auto mid = low + (high - low) / 2;
    (present(mid) ? low : high) = mid;
  }
  return low;
}

Event Log::append(Event event) {
  if (event.time.empty()) event.time = util::format_time(util::now());
  auto seq = find_head() + 1;
  for (int attempt = 0; attempt < k_append_attempts; ++attempt, ++seq) {
    event.seq = seq;
    event.prev = k_genesis;
    // A missing predecessor means the trail was damaged; load() refuses rather than chaining
    // around the hole.
    if (seq > 1) {
      try {
        (void)load(seq - 1, &event.prev);
      } catch (const Error& e) {
        fail(e.code(), std::string("cannot append to the audit trail: ") + e.what(), e.hint());
      }
    }
    const auto name = event_object_name(seq);
    const auto plaintext = event.to_json().dump();
    const auto sealed = crypto::aead_seal(m_key, crypto::as_bytes(plaintext), event_aad(name));
    if (m_store.put_if_absent(name, sealed)) return event;
    // Another writer took this number: chain onto its event instead.
  }
  fail(ErrorCode::conflict, "could not append to the audit trail: too many concurrent writers",
       "retry the command");
}

std::vector<Event> Log::read(const Filter& filter) {
  std::vector<std::string> problems;
  std::vector<Event> events;
  for (const auto& [seq, raw] : collect(problems)) {
    if (!raw.problem.empty()) fail(ErrorCode::auth, raw.problem, "run `ward audit verify`");
    const auto document = nlohmann::json::parse(raw.plaintext, nullptr, false);
    if (!document.is_object())
      fail(ErrorCode::auth, "audit event " + std::to_string(seq) + " is malformed");
    auto event = Event::from_json(document);
    if (matches(event, filter)) events.push_back(std::move(event));
  }
  return events;
}

VerifyReport Log::verify(const std::optional<Checkpoint>& published, const crypto::PublicKey& key) {
  VerifyReport report;
  const auto events = collect(report.problems);
  std::map<std::uint64_t, std::string> hashes;
  std::string previous_hash(k_genesis);
  std::uint64_t expected = 1;
  for (const auto& [seq, raw] : events) {
    for (; expected < seq; ++expected) {
      report.problems.push_back("event " + std::to_string(expected) + " is missing (deleted)");
      previous_hash.clear();  // the chain across a gap cannot be checked
    }
    expected = seq + 1;
    std::string hash;
    if (!raw.problem.empty()) {
      report.problems.push_back(raw.problem);
    } else {
      hash = crypto::hex_encode(crypto::sha256(crypto::as_bytes(raw.plaintext)));
      try {
        const auto document = nlohmann::json::parse(raw.plaintext, nullptr, false);
        if (!document.is_object()) fail(ErrorCode::auth, "malformed");
        const auto event = Event::from_json(document);
        if (event.seq != seq) {
          report.problems.push_back("event " + std::to_string(seq) + " carries sequence number " +
                                    std::to_string(event.seq) + " (reordered)");
        } else if (!previous_hash.empty() && event.prev != previous_hash) {
          report.problems.push_back(
              "event " + std::to_string(seq) +
              " does not chain to the event before it (modified, replaced or reordered)");
        }
        ++report.events;
      } catch (const Error& e) {
        if (e.code() != ErrorCode::auth) throw;
        report.problems.push_back("event " + std::to_string(seq) + " is malformed");
        hash.clear();
      }
    }
    hashes[seq] = hash;
    previous_hash = hash;
  }
  report.head_seq = events.empty() ? 0 : events.rbegin()->first;
  report.head_hash = events.empty() ? k_genesis : hashes[report.head_seq];

  // Without a published checkpoint, the newest one kept in the store still bounds truncation
  // by anyone who did not also delete it.
  std::optional<Checkpoint> checkpoint = published;
  if (!checkpoint) {
    const auto stored = m_store.list(std::string(k_checkpoint_prefix));
    if (!stored.empty()) {
      std::uint64_t best = 0;
      for (const auto& name : stored) {
        const auto bytes = m_store.get(name);
        if (!bytes) continue;
        try {
          auto candidate = Checkpoint::parse(
              std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
          if (candidate.seq >= best) {
            best = candidate.seq;
            checkpoint = candidate;
          }
        } catch (const Error&) {
          report.problems.push_back("stored checkpoint " + name + " is malformed");
        }
      }
    }
  }
  if (checkpoint) {
    report.checkpoint = checkpoint;
    const auto signature = crypto::base64_decode(checkpoint->signature);
    crypto::Signature sig{};
    const bool well_formed = signature && signature->size() == sig.size();
    if (well_formed) std::copy(signature->begin(), signature->end(), sig.begin());
    if (checkpoint->store_id != m_store_id) {
      report.problems.push_back("checkpoint belongs to store " + checkpoint->store_id + ", not " +
                                m_store_id);
    } else if (!well_formed ||
               !crypto::ed25519_verify(key, crypto::as_bytes(checkpoint->signed_text()), sig)) {
      report.problems.emplace_back("checkpoint signature does not verify");
    } else if (checkpoint->seq > report.head_seq) {
      report.problems.push_back("trail is truncated: the checkpoint covers " +
                                std::to_string(checkpoint->seq) + " events, the store holds " +
                                std::to_string(report.head_seq));
    } else if (checkpoint->seq > 0 && hashes[checkpoint->seq] != checkpoint->head_hash) {
      report.problems.push_back("event " + std::to_string(checkpoint->seq) +
                                " differs from the one the checkpoint signed (history rewritten)");
    } else {
      report.checkpoint_matched = true;
    }
  }
  return report;
}

std::size_t Log::seal(std::size_t min_events) {
  const auto sealed = segments();
  std::uint64_t next = sealed.empty() ? 1 : sealed.back().last + 1;
  const auto head = find_head();
  // The newest event stays a single object: appenders chain onto it without reading segments.
  if (head < next + min_events) return 0;
  std::size_t count = 0;
  while (next < head) {
    const auto last = std::min<std::uint64_t>(head - 1, next + k_segment_events - 1);
    crypto::SecretBytes plaintext;
    std::vector<std::string> singles;
    for (auto seq = next; seq <= last; ++seq) {
      const auto event = open_single(seq);  // throws on damage: never seal over it
      if (event.empty())
        fail(ErrorCode::auth, "audit event " + std::to_string(seq) + " is missing",
             "run `ward audit verify`");
      const auto length = static_cast<std::uint32_t>(event.size());
      const std::array<std::uint8_t, 4> prefix = {
          static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
          static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
      plaintext.append(prefix);
      plaintext.append(event);
      singles.push_back(event_object_name(seq));
    }
    const auto name = segment_object_name(next, last);
    // If a concurrent sealer wrote the same segment first, its content is the same events.
    (void)m_store.put_if_absent(name,
                                crypto::aead_seal(m_key, plaintext.bytes(), segment_aad(name)));
    m_store.remove_batch(singles);
    count += singles.size();
    next = last + 1;
  }
  return count;
}

Checkpoint Log::checkpoint(const crypto::SecretBytes& signing_seed) {
  Checkpoint checkpoint;
  checkpoint.store_id = m_store_id;
  checkpoint.seq = find_head();
  checkpoint.head_hash = k_genesis;
  if (checkpoint.seq > 0) (void)load(checkpoint.seq, &checkpoint.head_hash);
  const auto signature =
      crypto::ed25519_sign(signing_seed, crypto::as_bytes(checkpoint.signed_text()));
  checkpoint.signature = crypto::base64_encode(signature);
  const auto line = checkpoint.line() + "\n";
  char name[64];
  std::snprintf(name, sizeof name, "audit/checkpoints/%012llu",
                static_cast<unsigned long long>(checkpoint.seq));
  (void)m_store.put_if_absent(name, crypto::as_bytes(line));  // same seq → same line already kept
  return checkpoint;
}

}  // namespace ward::audit
