#include "ward/redact/scanner.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <mutex>
#include <string>

#include "ward/error.hpp"

namespace ward::redact {
namespace {

struct DatabaseDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct ScratchDeleter {
  void operator()(hs_scratch_t* scratch) const { hs_free_scratch(scratch); }
};
using Database = std::unique_ptr<hs_database_t, DatabaseDeleter>;
using Scratch = std::unique_ptr<hs_scratch_t, ScratchDeleter>;

struct Candidate {
  std::uint32_t pattern;
  std::size_t from;
  std::size_t to;
};

using StartOf = std::size_t (*)(std::string_view text, std::size_t end);

// Hyperscan reports every end of every match, in order of end offset. Most of those share a
// start with the pattern's previous report (an e-mail address matches at each letter of its
// top-level domain), so they are folded into that candidate as they arrive: the scan then sorts
// one candidate per item instead of one per end.
struct Collector {
  std::string_view text;
  std::vector<Candidate>* candidates{};
  std::vector<std::size_t>* last{};    // pattern id → index of its latest candidate, or npos
  const std::vector<bool>* longest{};  // pattern id → keep the longest end (else the shortest)
  const std::vector<StartOf>* start_of{};  // pattern id → finds the start (null: Hyperscan did)
};

int on_match(unsigned int id, unsigned long long from, unsigned long long to,
             unsigned int /*flags*/, void* context) {
  auto& collector = *static_cast<Collector*>(context);
  const auto end = static_cast<std::size_t>(to);
  const auto start_of = (*collector.start_of)[id];
  const auto start =
      start_of != nullptr ? start_of(collector.text, end) : static_cast<std::size_t>(from);
  auto& candidates = *collector.candidates;
  auto& last = (*collector.last)[id];
  if (last != std::string::npos && candidates[last].from == start) {
    auto& kept = candidates[last].to;
    kept = (*collector.longest)[id] ? std::max(kept, end) : std::min(kept, end);
    return 0;  // keep scanning
  }
  last = candidates.size();
  candidates.push_back({id, start, end});
  return 0;  // keep scanning
}

// A scan's working lists, kept per thread for the next scan: allocating them afresh for every
// chunk costs a page fault per 4 KiB touched, on this kind of VM more than matching the chunk.
struct Workspace {
  std::vector<Candidate> candidates;
  std::vector<std::size_t> last;
  std::vector<Hit> hits;
};

Workspace& workspace() {
  thread_local Workspace kept;
  return kept;
}

Database compile(const std::vector<std::string>& regexes, const std::vector<unsigned int>& flags,
                 const std::vector<unsigned int>& ids, const DetectorList& detectors,
                 const std::vector<std::uint32_t>& pattern_detector) {
  if (regexes.empty()) return nullptr;
  std::vector<const char*> expressions;
  expressions.reserve(regexes.size());
  for (const auto& regex : regexes) expressions.push_back(regex.c_str());
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned int>(expressions.size()), HS_MODE_BLOCK, nullptr, &db,
                       &error) != HS_SUCCESS) {
    std::string message = error != nullptr && error->message != nullptr ? error->message : "?";
    std::string culprit;
    if (error != nullptr && error->expression >= 0) {
      const auto d = pattern_detector[ids[static_cast<std::size_t>(error->expression)]];
      culprit = " in detector '" + std::string(detectors[d]->name()) + "'";
    }
    hs_free_compile_error(error);
    fail(ErrorCode::usage, "cannot compile the pattern" + culprit + ": " + message,
         "patterns use PCRE syntax without back-references or look-around");
  }
  return Database(db);
}

}  // namespace

struct Scanner::Impl {
  DetectorList detectors;
  std::vector<std::uint32_t> pattern_detector;  // pattern id → detector index
  std::vector<bool> pattern_longest;            // pattern id → its detector keeps longest ends
  std::vector<StartOf> pattern_start_of;        // pattern id → its start finder, or null
  // Two databases over the same pattern ids: one with start-of-match tracking, one for the
  // patterns that find their own start (tracking theirs would double the cost of the scan).
  Database with_starts;
  Database ends_only;
  Scratch prototype;  // valid for both databases
  mutable std::mutex pool_mutex;
  mutable std::vector<Scratch> pool;

  Scratch borrow() const {
    {
      const std::lock_guard lock(pool_mutex);
      if (!pool.empty()) {
        auto scratch = std::move(pool.back());
        pool.pop_back();
        return scratch;
      }
    }
    hs_scratch_t* clone = nullptr;
    if (hs_clone_scratch(prototype.get(), &clone) != HS_SUCCESS) {
      fail(ErrorCode::internal, "cannot allocate Hyperscan scratch space");
    }
    return Scratch(clone);
  }
  void give_back(Scratch scratch) const {
    const std::lock_guard lock(pool_mutex);
    pool.push_back(std::move(scratch));
  }
};

Scanner::Scanner(DetectorList detectors) : m_impl(std::make_unique<Impl>()) {
  m_impl->detectors = std::move(detectors);
  // [0]: patterns Hyperscan finds the start of, [1]: patterns that find their own.
  std::vector<std::string> regexes[2];
  std::vector<unsigned int> flags[2];
  std::vector<unsigned int> ids[2];
  for (std::uint32_t d = 0; d < m_impl->detectors.size(); ++d) {
    for (const auto& pattern : m_impl->detectors[d]->patterns()) {
      const auto id = static_cast<unsigned int>(m_impl->pattern_detector.size());
      const int group = pattern.leftmost_start != nullptr ? 1 : 0;
      unsigned int f = group == 0 ? HS_FLAG_SOM_LEFTMOST : 0U;
      if (pattern.caseless) f |= HS_FLAG_CASELESS;
      if (pattern.dotall) f |= HS_FLAG_DOTALL;
      regexes[group].push_back(pattern.regex);
      flags[group].push_back(f);
      ids[group].push_back(id);
      m_impl->pattern_detector.push_back(d);
      m_impl->pattern_longest.push_back(m_impl->detectors[d]->extent() == Extent::longest);
      m_impl->pattern_start_of.push_back(pattern.leftmost_start);
    }
  }
  if (m_impl->pattern_detector.empty()) fail(ErrorCode::usage, "no detectors selected");
  m_impl->with_starts =
      compile(regexes[0], flags[0], ids[0], m_impl->detectors, m_impl->pattern_detector);
  m_impl->ends_only =
      compile(regexes[1], flags[1], ids[1], m_impl->detectors, m_impl->pattern_detector);
  hs_scratch_t* scratch = nullptr;
  for (const auto* db : {m_impl->with_starts.get(), m_impl->ends_only.get()}) {
    if (db != nullptr && hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
      hs_free_scratch(scratch);
      fail(ErrorCode::internal, "cannot allocate Hyperscan scratch space");
    }
  }
  m_impl->prototype.reset(scratch);
}

Scanner::Scanner(Scanner&&) noexcept = default;
Scanner& Scanner::operator=(Scanner&&) noexcept = default;
Scanner::~Scanner() = default;

const DetectorList& Scanner::detectors() const { return m_impl->detectors; }

void Scanner::scan(std::string_view text, std::vector<Hit>& out) const {
  if (text.empty()) return;
  auto& work = workspace();
  auto& candidates = work.candidates;
  candidates.clear();
  work.last.assign(m_impl->pattern_detector.size(), std::string::npos);
  Collector collector{text, &candidates, &work.last, &m_impl->pattern_longest,
                      &m_impl->pattern_start_of};
  // Hyperscan's block mode takes an unsigned int length; callers scan in chunks far smaller.
  if (text.size() > 0xffffffffU) fail(ErrorCode::internal, "scan buffer larger than 4 GiB");
  auto scratch = m_impl->borrow();
  auto status = HS_SUCCESS;
  for (const auto* db : {m_impl->with_starts.get(), m_impl->ends_only.get()}) {
    if (db == nullptr || status != HS_SUCCESS) continue;
    status = hs_scan(db, text.data(), static_cast<unsigned int>(text.size()), 0, scratch.get(),
                     on_match, &collector);
  }
  m_impl->give_back(std::move(scratch));
  if (status != HS_SUCCESS) fail(ErrorCode::internal, "Hyperscan scan failed");
  if (candidates.empty()) return;

  // One candidate per (pattern, start): the longest or shortest end, as the detector wants.
  std::ranges::sort(candidates, [](const Candidate& a, const Candidate& b) {
    if (a.pattern != b.pattern) return a.pattern < b.pattern;
    if (a.from != b.from) return a.from < b.from;
    return a.to < b.to;
  });
  auto& hits = work.hits;
  hits.clear();
  for (std::size_t i = 0; i < candidates.size();) {
    std::size_t j = i;
    while (j + 1 < candidates.size() && candidates[j + 1].pattern == candidates[i].pattern &&
           candidates[j + 1].from == candidates[i].from) {
      ++j;
    }
    const auto detector = m_impl->pattern_detector[candidates[i].pattern];
    const auto& chosen =
        m_impl->detectors[detector]->extent() == Extent::longest ? candidates[j] : candidates[i];
    std::size_t begin = chosen.from;
    std::size_t end = chosen.to;
    if (m_impl->detectors[detector]->validate(text, begin, end) && begin < end) {
      hits.push_back({begin, end, detector});
    }
    i = j + 1;
  }
  // Non-overlapping: leftmost first, then longest, then the detector listed first.
  std::ranges::sort(hits, [](const Hit& a, const Hit& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end > b.end;
    return a.detector < b.detector;
  });
  std::size_t covered = 0;
  bool any = false;
  for (const auto& hit : hits) {
    if (any && hit.begin < covered) continue;
    out.push_back(hit);
    covered = hit.end;
    any = true;
  }
}

}  // namespace ward::redact
