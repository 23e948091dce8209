#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ward/check/probe.hpp"
#include "ward/keyring/keyring.hpp"

namespace ward::check {

// Check results kept in the store for reports (`audit report`, `check all`):
//
//   checks/<ns-id>/<target-id>/<YYYYMMDDTHHMMSSZ>-<random>.g<generation>
//
// where target-id is the namespace's keyed hash of "<kind>:<target>" (the store never sees a
// host name) and each object is the result's JSON sealed under the namespace KEK like a
// credential version (the AEAD binds the logical path and the type), so `key rewrap` covers it.
// Names sort by time; the newest k_kept_results per target are kept.
class ResultStore {
 public:
  static constexpr std::size_t k_kept_results = 20;

  explicit ResultStore(keyring::Namespace& ns);

  // Writes the result; removes the oldest ones beyond k_kept_results for its target. Returns
  // the logical path written.
  std::string save(const Probe& probe);
  // Writes many results with one durability barrier and one listing for the pruning (a
  // `check all` over hundreds of sources must not sync and list once per source). Returns the
  // logical paths written, in the order of `probes`.
  std::vector<std::string> save_all(const std::vector<Probe>& probes);
  // The newest result for a target, if any.
  std::optional<Probe> latest(std::string_view kind, std::string_view target);
  // The newest result of every target, for reports.
  std::vector<Probe> latest_all();

 private:
  [[nodiscard]] std::string target_prefix(std::string_view kind, std::string_view target) const;
  // Removes the oldest results beyond k_kept_results of every target directory in `names`.
  void prune(const std::vector<std::string>& names);
  Probe load(const std::string& logical, std::uint32_t generation);

  keyring::Namespace& m_ns;
};

}  // namespace ward::check
