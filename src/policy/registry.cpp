#include "providers.hpp"

namespace ward::policy {

const std::vector<ProviderEntry>& registered_providers() {
  static const std::vector<ProviderEntry> list{
      {"credential", providers::credentials},   {"key", providers::keys},
      {"certificate", providers::certificates}, {"backup", providers::backups},
      {"redaction", providers::redaction},
  };
  return list;
}

}  // namespace ward::policy
