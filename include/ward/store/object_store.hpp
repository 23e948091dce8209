#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ward/error.hpp"
#include "ward/store/sigv4.hpp"

namespace ward::store {

using Bytes = std::vector<std::uint8_t>;

// Where bytes live. Every backend (file, sftp, s3) holds the same layout of immutable objects,
// named by '/'-separated relative paths. Encryption, audit and retry are layers above this
// interface, never branches inside a backend.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  [[nodiscard]] virtual std::string url() const = 0;

  // Writes `name` only if it does not exist yet; false when another writer got there first.
  // Durable when it returns true.
  virtual bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) = 0;

  struct PutRequest {
    std::string name;
    Bytes data;
  };
  // Many puts with one durability barrier for the whole batch (rewrap of thousands of small
  // objects must not sync twice per object). Returns, per request, whether it was written.
  virtual std::vector<bool> put_batch(const std::vector<PutRequest>& requests);

  // nullopt when the object does not exist.
  virtual std::optional<Bytes> get(const std::string& name) = 0;

  // One read of a batch: the object's bytes (nullopt when it does not exist), or the error
  // reading it met: Error(auth) for a damaged or torn object, Error(conflict) for one another
  // writer is still writing. One bad object does not hide the others.
  struct GetResult {
    std::optional<Bytes> bytes;
    std::optional<Error> error;
  };
  // Reads many objects at once, results in the order of `names`. Remote backends answer them
  // with parallel requests over reused connections (and the suffix protocol with one listing
  // per directory instead of one per object); the default reads them one by one. Errors other than
  // a damaged object (an unreachable store) are thrown. Commands that read many objects (cred list,
  // store verify, migrate, audit reads) go through here.
  virtual std::vector<GetResult> get_batch(const std::vector<std::string>& names);

  // Whether put_if_absent returning true proves the stored object holds exactly the bytes
  // given (a local write, or a server whose receipt the backend checked against its own
  // digest), so a caller need not read it back to know.
  [[nodiscard]] virtual bool confirms_writes() const { return false; }

  // Whether the object exists; cheaper than get() where the backend can tell without reading.
  virtual bool contains(const std::string& name) { return get(name).has_value(); }

  // Every object name below `prefix` (recursive), sorted. `prefix` ends at a '/' boundary
  // or is empty for the whole store.
  virtual std::vector<std::string> list(const std::string& prefix) = 0;

  // Every object name that starts with `stem`, which need not end at a '/' (the candidates
  // `name~…` of the suffix protocol), sorted. The default lists the stem's directory and
  // filters; backends that can ask for any prefix do so in one request.
  virtual std::vector<std::string> list_starting_with(const std::string& stem);

  // A listed object with what the listing told about it (S3 listings carry both; other
  // backends may leave them unknown).
  struct ListEntry {
    std::string name;
    std::optional<std::uint64_t> size;
    std::optional<std::chrono::system_clock::time_point> modified;
  };
  // list_starting_with() with sizes and times where the backend's listing has them. The
  // default knows names only.
  virtual std::vector<ListEntry> list_entries_starting_with(const std::string& stem);
  // list_entries_starting_with(stem) without the names up to and including `after` and from
  // `before` on (an empty bound is none): what a batch of neighbouring names needs from a
  // directory that holds many more. `expected` is about how many names the range holds (0:
  // unknown), for backends that page their listings. The default lists the stem and filters;
  // backends whose listings can start after a given name (S3's start-after) read only the
  // range.
  virtual std::vector<ListEntry> list_entries_between(const std::string& stem,
                                                      const std::string& after,
                                                      const std::string& before,
                                                      std::size_t expected = 0);

  // Removes the object; removing a missing object is not an error.
  virtual void remove(const std::string& name) = 0;
  // Removes many objects with one durability barrier.
  virtual void remove_batch(const std::vector<std::string>& names);

  // Removes temporary files a killed writer left behind that are at least `older_than` old;
  // returns how many. Backends without temporary files have nothing to do.
  virtual std::size_t remove_stale_temporaries(std::chrono::seconds /*older_than*/) { return 0; }

  // Whether put_if_absent is atomic on this backend (some S3 servers ignore If-None-Match).
  // The keyring uses the suffix-and-rule fallback of DESIGN.md where it is not.
  [[nodiscard]] virtual bool atomic_put_if_absent() const { return true; }

  // How many large puts at once keep this backend busy: a remote one hides its round trips
  // behind several; a local disk takes one large write at a time about as fast, and every
  // write in flight holds a buffer of its own.
  [[nodiscard]] virtual unsigned useful_parallel_puts() const { return 3; }

  // Things the user should know about how this store is reached (say, plain http:// to a
  // loopback endpoint). The core never prints: commands log these.
  [[nodiscard]] virtual std::vector<std::string> warnings() const { return {}; }

  // Creates the store's root if needed; false if it already holds objects.
  virtual bool create() = 0;
  // Whether the root exists and is reachable; throws Error(unreachable) when it cannot tell.
  virtual bool exists() = 0;
};

// How to reach a remote store's server: its own credentials and trust settings (never ward's
// keys). Commands fill it from flags and WARD_* variables; each backend takes what it needs.
struct StoreOptions {
  // SFTP: private key file, known_hosts file (empty: ~/.ssh/known_hosts), a file holding the
  // SSH password; ssh-agent (SSH_AUTH_SOCK) is always tried.
  std::string ssh_identity;
  std::string ssh_known_hosts;
  std::string ssh_password_file;
  // SFTP: trust a host key known_hosts does not list yet, and record it there (`init` only).
  bool accept_new_host_key = false;
  // S3: a PEM file of CA certificates that verify an https endpoint (empty: the system's
  // trust store). Verification is never switched off.
  std::string s3_ca_file;
  // S3: the access key pair when it comes from a stored ward credential (commands fill it);
  // without it AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN are read.
  std::optional<sigv4::Credentials> s3_credentials;
  std::string s3_credentials_source;  // for messages: "stored credential 's3-prod'"
  // Bounds each network step (connect, handshake, each request).
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};
};

// Opens a store by URL (`file:///path`, a bare path, `sftp://user@host[:port]/path`). Throws
// Error(usage) for a malformed or unsupported URL. The one list of backends is registry.cpp.
std::unique_ptr<ObjectStore> open_object_store(const std::string& url,
                                               const StoreOptions& options = {});

// Checks that an object name is a clean relative path (no '..', no leading '/', no empty
// segments, no NUL); backends call it before touching a path.
void validate_object_name(const std::string& name);

}  // namespace ward::store
