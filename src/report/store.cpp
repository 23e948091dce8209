#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"
#include "ward/keyring/envelope.hpp"
#include "ward/keyring/generations.hpp"
#include "ward/report/report.hpp"

namespace ward::report {

std::string save(keyring::Namespace& ns, std::string_view format, const std::string& document,
                 util::TimePoint when) {
  std::string stamp;
  for (const char c : util::format_time(when)) {
    if (c != '-' && c != ':') stamp += c;  // sortable, no characters a backend might mind
  }
  const auto logical = "reports/" + ns.id() + "/" + stamp + "-" +
                       crypto::hex_encode(crypto::random_bytes(6)) + "." + std::string(format);
  const auto sealed =
      ns.seal(keyring::ObjectType::report, logical,
              std::span(reinterpret_cast<const std::uint8_t*>(document.data()), document.size()));
  if (!ns.store().put_if_absent(keyring::generation_name(logical, 1), sealed)) {
    fail(ErrorCode::conflict, "a report with the same name exists already", "retry");
  }
  return logical;
}

std::vector<SavedReport> list_saved(keyring::Namespace& ns) {
  const auto prefix = "reports/" + ns.id() + "/";
  std::vector<SavedReport> out;
  for (const auto& [logical, generations] : keyring::group_generations(ns.store().list(prefix))) {
    SavedReport entry;
    entry.name = logical.substr(prefix.size());
    const auto dot = entry.name.rfind('.');
    entry.format = dot == std::string::npos ? "" : entry.name.substr(dot + 1);
    // 20261201T221758Z-<random>.<format>: the stamp back in RFC 3339.
    const auto& n = entry.name;
    if (n.size() >= 16 && n[8] == 'T' && n[15] == 'Z') {
      entry.time = n.substr(0, 4) + "-" + n.substr(4, 2) + "-" + n.substr(6, 2) + "T" +
                   n.substr(9, 2) + ":" + n.substr(11, 2) + ":" + n.substr(13, 2) + "Z";
    }
    entry.generation = generations.front();
    out.push_back(std::move(entry));
  }
  return out;  // names start with the time, so oldest first
}

std::string load_saved(keyring::Namespace& ns, std::string_view name) {
  auto reports = list_saved(ns);
  if (reports.empty()) {
    fail(ErrorCode::not_found, "no reports are stored in namespace '" + ns.name() + "'",
         "store one with: ward audit report --out store");
  }
  const SavedReport* chosen = nullptr;
  if (name == "latest") {
    chosen = &reports.back();
  } else {
    for (const auto& r : reports) {
      if (r.name == name) chosen = &r;
    }
  }
  if (chosen == nullptr) {
    fail(ErrorCode::not_found, "no stored report named '" + std::string(name) + "'",
         "list them with: ward audit reports");
  }
  const auto logical = "reports/" + ns.id() + "/" + chosen->name;
  const auto bytes = ns.store().get(keyring::generation_name(logical, chosen->generation));
  if (!bytes) fail(ErrorCode::not_found, "the stored report " + chosen->name + " is gone");
  const auto plain = ns.open(keyring::ObjectType::report, logical, *bytes);
  return std::string(plain.reveal());
}

}  // namespace ward::report
