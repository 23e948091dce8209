#pragma once

#include <optional>
#include <string_view>

#include "ward/check/probe.hpp"
#include "ward/check/ssh_kexinit.hpp"

// What ward knows about SSH algorithm names: which are weak and why, which are today's best
// (post-quantum hybrids), which are pseudo-algorithms (strict kex, ext-info). One table, read by
// `check ssh`; the finding ids are documented in ward-check(1).
namespace ward::check::ssh_wire {

enum class AlgorithmKind { kex, host_key, cipher, mac, compression };

struct AlgorithmVerdict {
  std::string_view finding_id;  // empty when the algorithm is fine
  Severity severity = Severity::info;
  std::string_view reason;
  bool known = false;         // false: a name ward has no opinion on (reported as info)
  bool post_quantum = false;  // a hybrid kex that resists a future quantum computer
};

AlgorithmVerdict judge(AlgorithmKind kind, std::string_view name);

// Adds findings for every weak algorithm the server offers, Terrapin exposure (CVE-2023-48795),
// missing post-quantum key exchange, and unknown names; records the offered lists as facts.
void judge_kexinit(const KexInit& kexinit, Probe& probe);

}  // namespace ward::check::ssh_wire
