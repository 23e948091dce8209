// The audit trail after decryption (src/audit/): event documents, the hash chain, segment
// framing and checkpoint lines. Each input line becomes one sealed event plaintext in a store
// held in memory (so the parser past the AEAD is reached), then the trail is verified and read.
// Line forms:
//   <json>                  the next event (seq = previous + 1)
//   @<seq> <json>           an event at that sequence number
//   S<n>                    the next n lines go into one segment object instead
//   ward-checkpoint/v1 …    a published checkpoint to verify against
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memory_store.hpp"
#include "ward/audit/log.hpp"
#include "ward/crypto/aead.hpp"
#include "ward/error.hpp"

namespace {

// The AADs of src/audit/log.cpp: a change there must be made here too (the seeds stop
// reaching the parser, and the coverage printed by run.sh drops).
std::vector<std::uint8_t> aad(std::string_view tag, const std::string& name) {
  const std::string text = std::string(tag) + name;
  return {text.begin(), text.end()};
}

void seal(ward::fuzz::MemoryStore& store, const ward::crypto::SecretBytes& key,
          const std::string& name, std::string_view tag, std::string_view plaintext) {
  store.objects[name] = ward::crypto::aead_seal(
      key,
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(plaintext.data()),
                                    plaintext.size()),
      aad(tag, name));
}

std::string padded(std::uint64_t n) {
  auto s = std::to_string(n);
  return std::string(s.size() < 12 ? 12 - s.size() : 0, '0') + s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ward::crypto::SecretBytes key(ward::crypto::k_key_size);
  static const auto signer = ward::crypto::ed25519_generate();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < input.size();) {
    const auto end = std::min(input.find('\n', start), input.size());
    lines.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  ward::fuzz::MemoryStore store;
  std::optional<ward::audit::Checkpoint> checkpoint;
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < lines.size() && i < 64; ++i) {
    auto line = lines[i];
    if (line.starts_with("ward-checkpoint/v1")) {
      try {
        checkpoint = ward::audit::Checkpoint::parse(line);
        if (ward::audit::Checkpoint::parse(checkpoint->line()).line() != checkpoint->line())
          __builtin_trap();
      } catch (const ward::Error& e) {
        if (e.code() != ward::ErrorCode::usage) __builtin_trap();
      }
    } else if (line.starts_with('S')) {
      unsigned n = 0;
      std::from_chars(line.data() + 1, line.data() + line.size(), n);
      n = std::min<unsigned>(n, 16);
      std::string plaintext;
      const auto first = seq + 1;
      for (unsigned k = 0; k < n && i + 1 < lines.size(); ++k, ++i, ++seq) {
        const auto event = lines[i + 1];
        const auto length = static_cast<std::uint32_t>(event.size());
        for (int shift = 24; shift >= 0; shift -= 8)
          plaintext.push_back(static_cast<char>((length >> shift) & 0xff));
        plaintext.append(event);
      }
      if (seq >= first) {
        seal(store, key, "audit/seg/" + padded(first) + "-" + padded(seq), "ward.audit.seg.v1",
             plaintext);
      }
    } else {
      if (line.starts_with('@')) {
        const auto space = line.find(' ');
        std::uint64_t at = 0;
        std::from_chars(line.data() + 1, line.data() + std::min(space, line.size()), at);
        // Beyond 10^6 a gap is reported event by event; keep one input's work bounded.
        seq = std::min<std::uint64_t>(at, 1'000'000) - (at > 0 ? 1 : 0);
        line.remove_prefix(std::min(space, line.size()));
      }
      ++seq;
      seal(store, key, "audit/" + padded(seq), "ward.audit.v1", line);
    }
  }
  ward::audit::Log log(store, key, "FUZZSTORE");
  try {
    const auto report = log.verify(checkpoint, signer.public_key);
    if (report.ok() && report.events != report.head_seq) __builtin_trap();
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::auth) __builtin_trap();
  }
  try {
    (void)log.read();
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::auth) __builtin_trap();
  }
  return 0;
}
