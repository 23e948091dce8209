#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ward/audit/event.hpp"
#include "ward/audit/log.hpp"
#include "ward/crypto/secret.hpp"
#include "ward/store/object_store.hpp"

namespace ward::audit {

// Where audit events wait when the store cannot be reached after the action already happened
// (a remote store dropped mid-command, a full disk). An audited action is never unrecorded: the
// next command that reaches the store appends the spooled events, oldest first, with their
// original times and `"spooled": true` in their details.
//
// The spool is a private local directory per store ($XDG_STATE_HOME/ward/spool/<store-id>/)
// holding one object per event, AEAD-sealed under the store's audit key, so it leaks nothing
// and a tampered entry is refused at flush. Delivery is at least once: a crash between the
// append and the removal of the spooled copy appends the event again on the next flush; both
// copies carry the same `spool_id`.
class Spool {
 public:
  Spool(const std::filesystem::path& directory, const crypto::SecretBytes& audit_key,
        std::string store_id);

  // Seals the event and writes it durably to the spool; returns its spool id.
  std::string add(Event event);

  // Spooled events not yet delivered.
  [[nodiscard]] std::size_t pending();

  struct FlushResult {
    std::size_t delivered = 0;
    std::vector<std::string> problems;  // entries that failed authentication (left in place)
  };
  // Appends every spooled event to `log`, oldest first, removing each once it is appended.
  // Stops at the first store failure (the rest stay spooled) and rethrows it.
  FlushResult flush(Log& log);

 private:
  std::unique_ptr<store::ObjectStore> m_dir;
  const crypto::SecretBytes& m_key;
  std::string m_store_id;
};

// The spool directory of a store below a state directory ($XDG_STATE_HOME/ward).
std::filesystem::path spool_directory(const std::filesystem::path& state_dir,
                                      const std::string& store_id);

}  // namespace ward::audit
