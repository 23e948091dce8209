#include "ward/audit/log.hpp"

#include <algorithm>
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
constexpr std::string_view k_checkpoint_tag = "ward-checkpoint/v1";
constexpr int k_append_attempts = 64;
const std::string k_genesis(64, '0');

std::vector<std::uint8_t> event_aad(const std::string& name) {
  const std::string aad = "ward.audit.v1" + name;
  return {aad.begin(), aad.end()};
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

Event Log::load(std::uint64_t seq, std::string* hash_hex) {
  const auto name = event_object_name(seq);
  const auto bytes = m_store.get(name);
  if (!bytes) {
    fail(ErrorCode::auth, "audit event " + std::to_string(seq) + " is missing", "run `ward audit verify`");
  }
  crypto::SecretBytes plaintext;
  try {
    plaintext = crypto::aead_open(m_key, *bytes, event_aad(name));
  } catch (const Error&) {
    fail(ErrorCode::auth, "audit event " + std::to_string(seq) + " fails authentication",
         "the audit trail is damaged or was tampered with; run `ward audit verify`");
  }
  if (hash_hex != nullptr) *hash_hex = crypto::hex_encode(crypto::sha256(plaintext.bytes()));
  const auto document = nlohmann::json::parse(plaintext.reveal(), nullptr, false);
  if (!document.is_object())
    fail(ErrorCode::auth, "audit event " + std::to_string(seq) + " is malformed");
  return Event::from_json(document);
}

std::uint64_t Log::find_head() {
  const auto present = [&](std::uint64_t seq) { return m_store.contains(event_object_name(seq)); };
  if (!present(1)) return 0;
  std::uint64_t low = 1;  // present
  std::uint64_t high = 2;
  while (present(high)) {
    low = high;
    high *= 2;
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
  std::vector<Event> events;
  for (const auto seq : sequence_numbers()) {
    auto event = load(seq, nullptr);
    if (matches(event, filter)) events.push_back(std::move(event));
  }
  return events;
}

VerifyReport Log::verify(const std::optional<Checkpoint>& published, const crypto::PublicKey& key) {
  VerifyReport report;
  const auto seqs = sequence_numbers();
  std::map<std::uint64_t, std::string> hashes;
  std::string previous_hash = k_genesis;
  std::uint64_t expected = 1;
  for (const auto seq : seqs) {
    for (; expected < seq; ++expected) {
      report.problems.push_back("event " + std::to_string(expected) + " is missing (deleted)");
      previous_hash.clear();  // the chain across a gap cannot be checked
    }
    expected = seq + 1;
    std::string hash;
    try {
      const auto event = load(seq, &hash);
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
      report.problems.push_back("event " + std::to_string(seq) +
                                " fails authentication (modified, or moved from another position)");
      hash.clear();
    }
    hashes[seq] = hash;
    previous_hash = hash;
  }
  report.head_seq = seqs.empty() ? 0 : seqs.back();
  report.head_hash = seqs.empty() ? k_genesis : hashes[report.head_seq];

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
      report.problems.push_back("checkpoint signature does not verify");
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
