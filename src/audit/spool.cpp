#include "ward/audit/spool.hpp"

#include <cstdio>
#include <string_view>

#include "ward/crypto/aead.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"
#include "ward/store/file_store.hpp"
#include "ward/util/duration.hpp"

namespace ward::audit {
namespace {

constexpr std::string_view k_prefix = "events/";

// Binds a sealed entry to its store and its name, so entries cannot be moved between spools
// or renamed to change their order.
std::string spool_aad(const std::string& store_id, const std::string& name) {
  return "ward.audit.spool/v1\n" + store_id + "\n" + name;
}

// Names sort by the time they were spooled, then by a random tie-breaker.
std::string spool_name() {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%020lld", static_cast<long long>(ns));
  return std::string(k_prefix) + stamp + "-" + crypto::hex_encode(crypto::random_bytes(6));
}

}  // namespace

std::filesystem::path spool_directory(const std::filesystem::path& state_dir,
                                      const std::string& store_id) {
  return state_dir / "spool" / store_id;
}

Spool::Spool(const std::filesystem::path& directory, const crypto::SecretBytes& audit_key,
             std::string store_id)
    : m_dir(store::make_file_store(directory)), m_key(audit_key), m_store_id(std::move(store_id)) {}

std::string Spool::add(Event event) {
  if (event.time.empty()) event.time = util::format_time(util::now());
  const auto name = spool_name();
  const auto id = name.substr(k_prefix.size());
  event.details["spooled"] = true;
  event.details["spool_id"] = id;
  event.seq = 0;
  event.prev.clear();
  const auto plaintext = event.to_json().dump();
  const auto sealed = crypto::aead_seal(m_key, crypto::as_bytes(plaintext),
                                        crypto::as_bytes(spool_aad(m_store_id, name)));
  m_dir->create();
  if (!m_dir->put_if_absent(name, sealed)) {
    fail(ErrorCode::internal, "audit spool entry " + id + " already exists");
  }
  return id;
}

std::size_t Spool::pending() {
  if (!m_dir->exists()) return 0;
  return m_dir->list(std::string(k_prefix)).size();
}

Spool::FlushResult Spool::flush(Log& log) {
  FlushResult result;
  if (!m_dir->exists()) return result;
  for (const auto& name : m_dir->list(std::string(k_prefix))) {
    const auto sealed = m_dir->get(name);
    if (!sealed) continue;  // another process delivered it meanwhile
    Event event;
    try {
      const auto plaintext =
          crypto::aead_open(m_key, *sealed, crypto::as_bytes(spool_aad(m_store_id, name)));
      const auto document = nlohmann::json::parse(plaintext.reveal(), nullptr, false);
      if (!document.is_object()) fail(ErrorCode::auth, "malformed");
      event = Event::from_json(document);
    } catch (const Error&) {
      result.problems.push_back("audit spool entry " + name.substr(k_prefix.size()) +
                                " fails authentication; it was left in place");
      continue;
    }
    (void)log.append(std::move(event));
    m_dir->remove(name);
    ++result.delivered;
  }
  return result;
}

}  // namespace ward::audit
