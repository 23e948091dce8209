#include "ward/store/s3_store.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "ward/crypto/encoding.hpp"
#include "ward/crypto/hash.hpp"
#include "ward/crypto/random.hpp"
#include "ward/error.hpp"
#include "ward/store/s3_xml.hpp"
#include "ward/store/sigv4.hpp"
#include "ward/store/suffix_put_store.hpp"
#include "ward/util/huge_pages.hpp"
#include "ward/util/xml.hpp"

namespace ward::store {
namespace {

using Clock = std::chrono::steady_clock;

// Requests in flight at once for batches and multipart parts.
constexpr std::size_t k_parallel = 8;
// GETs in flight at once for batch reads of small objects: each costs the server little, so
// more in flight hides more round trips.
constexpr std::size_t k_parallel_reads = 16;
constexpr int k_max_attempts = 5;
constexpr auto k_first_backoff = std::chrono::milliseconds(100);
constexpr auto k_max_backoff = std::chrono::milliseconds(5000);
// The object's SHA-256 as its writer sent it. A server that writes uploads in place (s3rver)
// leaves a partial object without it when the writer or the server is killed mid-write.
constexpr const char* k_digest_header = "x-amz-meta-ward-sha256";
// Internal objects (the put-if-absent probe) live under a name no store object can have.
constexpr std::string_view k_internal_prefix = ".ward-";

struct EasyDeleter {
  void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const noexcept { curl_multi_cleanup(multi); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Multi = std::unique_ptr<CURLM, MultiDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      fail(ErrorCode::internal, "libcurl failed to initialise");
    }
  });
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const auto bytes = crypto::hex_decode(text.substr(i + 1, 2));
      if (bytes && bytes->size() == 1) {
        out.push_back(static_cast<char>((*bytes)[0]));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i] == '+' ? ' ' : text[i]);
  }
  return out;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host.ends_with(".localhost") || host == "::1") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24U) == 127U;
  return false;
}

// Lowercase hex MD5 of `data`: what S3 servers answer as the ETag of a single-part upload.
std::string md5_hex(std::span<const std::uint8_t> data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  static const std::uint8_t empty = 0;
  if (EVP_Digest(data.empty() ? &empty : data.data(), data.size(), digest.data(), &length,
                 EVP_md5(), nullptr) != 1) {
    fail(ErrorCode::internal, "OpenSSL could not compute an MD5 digest");
  }
  return crypto::hex_encode(std::span<const std::uint8_t>(digest.data(), length));
}

// The MD5s of `bodies` (to check the server's ETags against), worked out on a second thread
// while `transfer` sends them from this one: this thread mostly waits for the server, and the
// MD5 of a GiB takes more than a second.
template <typename Transfer>
std::vector<std::string> md5s_during(const std::vector<std::span<const std::uint8_t>>& bodies,
                                     Transfer&& transfer) {
  std::vector<std::string> md5s(bodies.size());
  std::exception_ptr hash_error;
  {
    const std::jthread hasher([&] {
      try {
        for (std::size_t i = 0; i < bodies.size(); ++i) md5s[i] = md5_hex(bodies[i]);
      } catch (...) {
        hash_error = std::current_exception();
      }
    });
    std::forward<Transfer>(transfer)();
  }
  if (hash_error) std::rethrow_exception(hash_error);
  return md5s;
}

// An ETag without its quotes, lowercased.
std::string bare_etag(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return lowercase(std::move(etag));
}

bool is_md5_hex(const std::string& text) {
  return text.size() == 32 && std::all_of(text.begin(), text.end(), [](unsigned char c) {
           return std::isdigit(c) != 0 || (c >= 'a' && c <= 'f');
         });
}

// An S3 timestamp (2026-12-01T18:00:00.000Z); nullopt when it is not one.
std::optional<std::chrono::system_clock::time_point> parse_iso_time(const std::string& text) {
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return std::nullopt;
  if (const auto dot = text.find('.'); dot != std::string::npos)
    millis = std::atoi(text.c_str() + dot + 1);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const auto seconds = ::timegm(&tm);
  if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(seconds) + std::chrono::milliseconds(millis);
}

// One request and, once run, its outcome.
struct Call {
  std::string method;
  std::string key;  // full key below the bucket; empty for the bucket itself
  sigv4::Pairs query;
  sigv4::Pairs headers;  // extra headers, signed with the rest
  std::span<const std::uint8_t> body;
  std::string payload_sha256;  // computed once, reused by every attempt

  long status = 0;
  Bytes response;
  // A GET's response hashed as it arrives, so checking a large object against its writer's
  // SHA-256 costs no time after the transfer. Dropped (the whole is hashed at the end) if
  // OpenSSL ever fails inside curl's callbacks, where nothing may throw.
  std::unique_ptr<crypto::Sha256Stream> response_hash;
  std::map<std::string, std::string> response_headers;
  CURLcode curl = CURLE_OK;
  std::string curl_error;
  int attempts = 0;

  // Per attempt.
  std::size_t sent = 0;
  Clock::time_point not_before;
  Slist header_list;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};

  void restart_response() noexcept {
    response.clear();
    if (!response_hash) return;
    try {
      response_hash->reset();
    } catch (...) {
      response_hash.reset();
    }
  }
  void add_response(std::span<const std::uint8_t> bytes) noexcept {
    response.insert(response.end(), bytes.begin(), bytes.end());
    if (!response_hash) return;
    try {
      response_hash->update(bytes);
    } catch (...) {
      response_hash.reset();
    }
  }
  // The SHA-256 of the whole response.
  crypto::Digest response_sha256() {
    return response_hash ? response_hash->finish() : crypto::sha256(response);
  }

  [[nodiscard]] std::string error_code() const {
    return s3xml::first_text(
               std::string_view(reinterpret_cast<const char*>(response.data()), response.size()),
               "Code")
        .value_or("");
  }
  [[nodiscard]] std::string header(const std::string& name) const {
    const auto found = response_headers.find(name);
    return found == response_headers.end() ? std::string() : found->second;
  }
  [[nodiscard]] std::string_view text() const {
    return {reinterpret_cast<const char*>(response.data()), response.size()};
  }
};

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto* call = static_cast<Call*>(user);
  // Appended as bytes, not converted one char at a time (a quarter of a large get's CPU).
  call->add_response({reinterpret_cast<const std::uint8_t*>(data), size * count});
  return size * count;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* call = static_cast<Call*>(user);
  const auto n = std::min(size * count, call->body.size() - call->sent);
  if (n > 0) std::memcpy(buffer, call->body.data() + call->sent, n);
  call->sent += n;
  return n;
}

// libcurl rewinds the body when it must send it again (a reused connection the server had
// closed, a redirect).
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* call = static_cast<Call*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::size_t>(offset) > call->body.size())
    return CURL_SEEKFUNC_CANTSEEK;
  call->sent = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* call = static_cast<Call*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    call->response_headers.clear();  // a new response (after 100 Continue or a redirect)
    call->restart_response();
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    auto name = lowercase(std::string(line.substr(0, colon)));
    if (name == "content-length") {
      const auto length = std::strtoull(std::string(value).c_str(), nullptr, 10);
      if (length > 0 && length < (1ULL << 34)) {
        call->response.reserve(length);
        util::advise_huge_pages(call->response.data(), call->response.capacity());
      }
    }
    call->response_headers[std::move(name)] = std::string(value);
  }
  return size * count;
}

bool retryable(const Call& call) {
  switch (call.curl) {
    case CURLE_OK:
      break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_FAIL_REWIND:
      return true;
    default:
      return false;
  }
  if (call.status >= 500 || call.status == 429) return true;
  if (call.status == 400 || call.status == 409) {
    const auto code = call.error_code();
    return code == "RequestTimeout" || code == "ConditionalRequestConflict";
  }
  return false;
}

Clock::duration backoff(int attempt) {
  // Exponential, with "equal jitter": half fixed, half random, so writers that failed
  // together do not come back together.
  auto ceiling = k_first_backoff * (1 << std::min(attempt - 1, 10));
  ceiling = std::min<std::chrono::milliseconds>(ceiling, k_max_backoff);
  thread_local std::mt19937 random{std::random_device{}()};
  std::uniform_int_distribution<long> spread(0, ceiling.count() / 2);
  return std::chrono::milliseconds(ceiling.count() / 2 + spread(random));
}

// A multi handle and its idle easy handles: the connection cache lives in the multi handle, so
// every request made through one engine reuses its connections.
struct Engine {
  Multi multi{curl_multi_init()};
  std::vector<Easy> idle;
};

// Full keys strictly between `after` and `before` (an empty bound is none), the first page
// holding at most `first_page` keys (0: the server's page size).
struct KeyRange {
  std::string after;
  std::string before;
  std::size_t first_page = 0;
};

class S3Store final : public ObjectStore {
 public:
  S3Store(std::string url, S3Location location, sigv4::Credentials credentials,
          std::string credentials_source, std::string ca_file)
      : m_url(std::move(url)),
        m_location(std::move(location)),
        m_credentials(std::move(credentials)),
        m_credentials_source(std::move(credentials_source)),
        m_ca_file(std::move(ca_file)) {
    const auto port = m_location.port == 0 ? std::string() : ":" + std::to_string(m_location.port);
    m_authority = (m_location.path_style ? "" : m_location.bucket + ".") + m_location.host + port;
    m_endpoint = m_location.scheme + "://" + m_location.host + port;
    if (m_location.scheme == "http") {
      m_warnings.push_back("store " + m_url + " uses plain http:// to " + m_location.host +
                           ": requests travel unencrypted (allowed for loopback addresses only)");
    }
  }

  [[nodiscard]] std::string url() const override { return m_url; }
  [[nodiscard]] bool atomic_put_if_absent() const override { return m_atomic; }
  [[nodiscard]] std::vector<std::string> warnings() const override { return m_warnings; }

  // Finds out how put-if-absent works here: an existing store's config object tells (named
  // `config` when it was written with If-None-Match, `config~…` under the suffix protocol);
  // for a new store, a probe object written twice with If-None-Match: * does.
  void detect_mode() {
    const auto names = list_keys(m_location.prefix + "config", 1000);
    const auto plain = m_location.prefix + "config";
    for (const auto& key : names) {
      if (key == plain) {
        m_atomic = true;
        return;
      }
      if (key.starts_with(plain + k_candidate_separator)) {
        m_atomic = false;
        return;
      }
    }
    const auto probe = m_location.prefix + std::string(k_internal_prefix) + "probe/" +
                       crypto::hex_encode(crypto::random_bytes(8));
    const std::string content = "ward put-if-absent probe\n";
    const auto bytes =
        std::span(reinterpret_cast<const std::uint8_t*>(content.data()), content.size());
    const auto first = conditional_put(probe, bytes, /*if_none_match=*/true);
    if (first.status != 200) raise(first, "write a probe object to");
    const auto second = conditional_put(probe, bytes, /*if_none_match=*/true);
    const auto status = second.status;
    Call remove = make_call("DELETE", probe);
    run_one(remove);
    if (status == 412) {
      m_atomic = true;
    } else if (status == 200) {
      m_atomic = false;
    } else {
      raise(second, "write a probe object to");
    }
  }

  bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) override {
    validate_object_name(name);
    if (data.size() > m_location.multipart_threshold) return multipart_put(name, data);
    auto call = put_call(name, data);
    // A large object's MD5 is worked out while it is on its way; a small one's costs nothing.
    constexpr std::size_t k_hash_during_transfer = std::size_t{1} << 20;
    if (data.size() < k_hash_during_transfer) {
      run_one(call);
      return put_outcome(call, name, md5_hex(data), data);
    }
    const auto md5 = md5s_during({data}, [&] { run_one(call); });
    return put_outcome(call, name, md5.front(), data);
  }

  std::vector<bool> put_batch(const std::vector<PutRequest>& requests) override {
    std::vector<bool> written(requests.size(), false);
    std::vector<Call> calls;
    std::vector<std::size_t> small;
    calls.reserve(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      validate_object_name(requests[i].name);
      if (requests[i].data.size() > m_location.multipart_threshold) continue;
      calls.push_back(put_call(requests[i].name, requests[i].data));
      small.push_back(i);
    }
    run_all(calls, k_parallel);
    for (std::size_t j = 0; j < calls.size(); ++j) {
      const auto& request = requests[small[j]];
      written[small[j]] = put_outcome(calls[j], request.name, md5_hex(request.data), request.data);
    }
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (requests[i].data.size() > m_location.multipart_threshold)
        written[i] = multipart_put(requests[i].name, requests[i].data);
    }
    return written;
  }

  std::optional<Bytes> get(const std::string& name) override {
    validate_object_name(name);
    auto call = get_call(name);
    run_one(call);
    return read_outcome(call, name);
  }

  std::vector<GetResult> get_batch(const std::vector<std::string>& names) override {
    std::vector<Call> calls;
    calls.reserve(names.size());
    for (const auto& name : names) {
      validate_object_name(name);
      calls.push_back(get_call(name));
    }
    run_all(calls, k_parallel_reads);
    std::vector<GetResult> out(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
      try {
        out[i].bytes = read_outcome(calls[i], names[i]);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::auth) throw;
        out[i].error = e;
      }
    }
    return out;
  }

  // Every write so far was confirmed by the server's ETag (the MD5 of what it stored); a
  // server whose ETags are something else (encryption with KMS keys) leaves it unproven.
  [[nodiscard]] bool confirms_writes() const override { return !m_unconfirmed_write; }

  bool contains(const std::string& name) override {
    validate_object_name(name);
    auto call = make_call("HEAD", key_of(name));
    run_one(call);
    if (call.status == 200) return true;
    if (call.status == 404) return false;
    raise(call, "look up object '" + name + "' in");
  }

 private:
  // What a GET of `name` brought: its bytes, nullopt when absent; a partial object (written in
  // place by a server that was interrupted) fails its digest: Error(auth).
  std::optional<Bytes> read_outcome(Call& call, const std::string& name) {
    if (call.status == 404 && call.error_code() != "NoSuchBucket") return std::nullopt;
    if (call.status != 200) raise(call, "read object '" + name + "' from");
    const auto recorded = call.header(k_digest_header);
    if (recorded.empty() || recorded != crypto::hex_encode(call.response_sha256())) {
      fail(ErrorCode::auth,
           "object '" + name + "' in " + m_url +
               " is incomplete or damaged: its content does not match what its writer sent "
               "(a write interrupted on a server that stores uploads in place)",
           "rerun the command that was interrupted; `ward store verify` lists damaged objects");
    }
    return std::move(call.response);
  }

 public:
  std::vector<std::string> list(const std::string& prefix) override {
    std::vector<std::string> names;
    for (auto& key : list_keys(m_location.prefix + prefix, 0)) {
      auto name = key.substr(m_location.prefix.size());
      if (name.starts_with(k_internal_prefix)) continue;
      names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::vector<std::string> list_starting_with(const std::string& stem) override {
    std::vector<std::string> names;
    for (auto& key : list_keys(m_location.prefix + stem, 0)) {
      names.push_back(key.substr(m_location.prefix.size()));
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::vector<ListEntry> list_entries_starting_with(const std::string& stem) override {
    return list_entries_between(stem, {}, {}, 0);
  }

  std::vector<ListEntry> list_entries_between(const std::string& stem, const std::string& after,
                                              const std::string& before,
                                              std::size_t expected) override {
    KeyRange range;
    if (!after.empty()) range.after = m_location.prefix + after;
    if (!before.empty()) range.before = m_location.prefix + before;
    // A first page a little larger than the range: servers (s3rver) take longer the more keys
    // a page holds, whether or not they fall in the range. Further pages are full.
    if (!before.empty() && expected > 0) range.first_page = expected + expected / 4 + 16;
    auto entries = list_key_entries(m_location.prefix + stem, 0, false, range);
    for (auto& entry : entries) entry.name = entry.name.substr(m_location.prefix.size());
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    return entries;
  }

  void remove(const std::string& name) override { remove_batch({name}); }

  void remove_batch(const std::vector<std::string>& names) override {
    std::vector<Call> calls;
    calls.reserve(names.size());
    for (const auto& name : names) {
      validate_object_name(name);
      calls.push_back(make_call("DELETE", key_of(name)));
    }
    run_all(calls, k_parallel);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      const auto& call = calls[i];
      if (call.status == 200 || call.status == 204) continue;
      if (call.status == 404 && call.error_code() != "NoSuchBucket") continue;
      raise(call, "remove object '" + names[i] + "' from");
    }
  }

  bool create() override { return list_keys(m_location.prefix, 1, true).empty(); }

  // Opening the store listed the bucket already (detect_mode), which fails when the bucket is
  // missing or unreachable; a prefix needs no creating.
  bool exists() override { return true; }

 private:
  [[nodiscard]] std::string key_of(const std::string& name) const {
    return m_location.prefix + name;
  }

  [[nodiscard]] std::string path_of(const std::string& key) const {
    return m_location.path_style ? "/" + m_location.bucket + (key.empty() ? "" : "/" + key)
                                 : "/" + key;
  }

  static Call make_call(std::string method, std::string key) {
    Call call;
    call.method = std::move(method);
    call.key = std::move(key);
    return call;
  }

  [[nodiscard]] Call get_call(const std::string& name) const {
    auto call = make_call("GET", key_of(name));
    call.response_hash = std::make_unique<crypto::Sha256Stream>();
    return call;
  }

  [[nodiscard]] Call put_call(const std::string& name, std::span<const std::uint8_t> data) const {
    auto call = make_call("PUT", key_of(name));
    call.body = data;
    call.payload_sha256 = crypto::hex_encode(crypto::sha256(data));
    call.headers.emplace_back(k_digest_header, call.payload_sha256);
    if (m_atomic) call.headers.emplace_back("If-None-Match", "*");
    return call;
  }

  Call conditional_put(const std::string& key, std::span<const std::uint8_t> data,
                       bool if_none_match) {
    auto call = make_call("PUT", key);
    call.body = data;
    call.payload_sha256 = crypto::hex_encode(crypto::sha256(data));
    call.headers.emplace_back(k_digest_header, call.payload_sha256);
    if (if_none_match) call.headers.emplace_back("If-None-Match", "*");
    run_one(call);
    return call;
  }

  // Whether a PUT wrote the object. A 412 after a retry may be our own first attempt, which
  // reached the server before its answer was lost: the object then holds exactly our bytes.
  bool put_outcome(const Call& call, const std::string& name, const std::string& md5,
                   std::span<const std::uint8_t> data) {
    if (call.status == 200) {
      confirm_receipt(call.header("etag"), md5, "object '" + name + "'");
      return true;
    }
    if (call.status == 412 && m_atomic) {
      if (call.attempts <= 1) return false;
      const auto stored = get(name);
      return stored && std::equal(stored->begin(), stored->end(), data.begin(), data.end());
    }
    raise(call, "write object '" + name + "' to");
  }

  // A plain ETag is the MD5 of what the server stored (a multipart upload's, the MD5 of its
  // parts' MD5s and "-N"): a mismatch means the bytes were changed on the way or on the
  // server's disk. An ETag of another form (server-side encryption with KMS keys) proves
  // nothing either way, and confirms_writes() says so from then on.
  void confirm_receipt(const std::string& etag_answered, const std::string& expected,
                       const std::string& what) {
    const auto etag = bare_etag(etag_answered);
    if (etag == expected) return;
    const auto form = [](const std::string& tag) {
      const auto dash = tag.find('-');
      return is_md5_hex(tag.substr(0, dash)) ? (dash == std::string::npos ? 1 : 2) : 0;
    };
    if (form(etag) != form(expected)) {
      m_unconfirmed_write = true;
      return;
    }
    fail(ErrorCode::auth,
         "the server stored " + what + " in " + m_url +
             " with other bytes than ward sent (its ETag " + etag + " is not their MD5 " +
             expected + ")",
         "retry the command; if it happens again, the server or the network damages data");
  }

  bool multipart_put(const std::string& name, std::span<const std::uint8_t> data) {
    const auto key = key_of(name);
    const auto digest = crypto::hex_encode(crypto::sha256(data));
    auto start = make_call("POST", key);
    start.query = {{"uploads", ""}};
    start.headers.emplace_back(k_digest_header, digest);
    run_one(start);
    const auto upload_id = s3xml::first_text(start.text(), "UploadId");
    if (start.status != 200 || !upload_id)
      raise(start, "start a multipart upload of '" + name + "' to");
    try {
      std::vector<Call> parts;
      for (std::size_t offset = 0, number = 1; offset < data.size();
           offset += m_location.part_size, ++number) {
        auto part = make_call("PUT", key);
        part.query = {{"partNumber", std::to_string(number)}, {"uploadId", *upload_id}};
        part.body = data.subspan(offset, std::min(m_location.part_size, data.size() - offset));
        parts.push_back(std::move(part));
      }
      std::vector<std::span<const std::uint8_t>> bodies;
      bodies.reserve(parts.size());
      for (const auto& part : parts) bodies.push_back(part.body);
      const auto part_md5s = md5s_during(bodies, [&] { run_all(parts, k_parallel); });
      std::string manifest = "<CompleteMultipartUpload>";
      std::string part_digests;  // the parts' binary MD5s, for a "-N" ETag of the whole
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].status != 200) raise(parts[i], "upload a part of '" + name + "' to");
        const auto& part_md5 = part_md5s[i];
        confirm_receipt(parts[i].header("etag"), part_md5,
                        "part " + std::to_string(i + 1) + " of object '" + name + "'");
        const auto raw = crypto::hex_decode(part_md5);
        part_digests.append(raw->begin(), raw->end());
        manifest += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
                    util::xml_escape(parts[i].header("etag")) + "</ETag></Part>";
      }
      manifest += "</CompleteMultipartUpload>";
      auto complete = make_call("POST", key);
      complete.query = {{"uploadId", *upload_id}};
      complete.body =
          std::span(reinterpret_cast<const std::uint8_t*>(manifest.data()), manifest.size());
      if (m_atomic) complete.headers.emplace_back("If-None-Match", "*");
      run_one(complete);
      // CompleteMultipartUpload can fail with 200 and an <Error> body.
      if (complete.status == 200 && !s3xml::first_text(complete.text(), "Code")) {
        // AWS answers the MD5 of the parts' MD5s and "-N"; a server that answers a plain MD5
        // of the whole (s3rver) was checked part by part above.
        const auto etag = bare_etag(s3xml::first_text(complete.text(), "ETag").value_or(""));
        if (etag.find('-') != std::string::npos) {
          confirm_receipt(
              etag,
              md5_hex(std::span(reinterpret_cast<const std::uint8_t*>(part_digests.data()),
                                part_digests.size())) +
                  "-" + std::to_string(parts.size()),
              "object '" + name + "'");
        }
        return true;
      }
      if (complete.status == 412 && m_atomic) {
        abort_upload(key, *upload_id);
        if (complete.attempts <= 1) return false;
        const auto stored = get(name);
        return stored && std::equal(stored->begin(), stored->end(), data.begin(), data.end());
      }
      raise(complete, "complete the multipart upload of '" + name + "' to");
    } catch (const Error&) {
      abort_upload(key, *upload_id);
      throw;
    }
  }

  void abort_upload(const std::string& key, const std::string& upload_id) noexcept {
    try {
      auto call = make_call("DELETE", key);
      call.query = {{"uploadId", upload_id}};
      run_one(call);
    } catch (...) {  // NOLINT(bugprone-empty-catch): best effort; the server expires it
    }
  }

  // Keys (full, below the bucket) starting with `prefix`, following continuation tokens;
  // `limit` 0 means all. With `skip_internal`, the probe's objects do not count.
  std::vector<std::string> list_keys(const std::string& prefix, std::size_t limit,
                                     bool skip_internal = false) {
    std::vector<std::string> keys;
    for (auto& entry : list_key_entries(prefix, limit, skip_internal))
      keys.push_back(std::move(entry.name));
    return keys;
  }

  // The same with each key's size and time of last change, from its <Contents> element.
  // Listings return keys in byte order (UTF-8 binary), as std::string compares them: a range
  // starts at `after` (start-after) and stops at the first page that reaches `before`.
  std::vector<ListEntry> list_key_entries(const std::string& prefix, std::size_t limit,
                                          bool skip_internal = false, const KeyRange& range = {}) {
    std::vector<ListEntry> entries;
    std::string token;
    for (;;) {
      auto call = make_call("GET", "");
      call.query = {{"list-type", "2"}, {"prefix", prefix}};
      std::size_t page = limit;
      if (token.empty() && range.first_page > 0)
        page = page > 0 ? std::min(page, range.first_page) : range.first_page;
      if (page > 0)
        call.query.emplace_back("max-keys", std::to_string(std::min<std::size_t>(page, 1000)));
      if (!token.empty()) {
        call.query.emplace_back("continuation-token", token);
      } else if (!range.after.empty()) {
        call.query.emplace_back("start-after", range.after);
      }
      run_one(call);
      if (call.status != 200) raise(call, "list the objects of");
      const auto xml = call.text();
      bool past_range = false;
      constexpr std::string_view open = "<Contents>";
      constexpr std::string_view close = "</Contents>";
      for (auto at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at)) {
        const auto end = xml.find(close, at);
        if (end == std::string_view::npos) break;
        const auto contents = xml.substr(at, end - at);
        at = end + close.size();
        auto key = s3xml::first_text(contents, "Key");
        if (!key) continue;
        if (skip_internal && key->substr(m_location.prefix.size()).starts_with(k_internal_prefix))
          continue;
        if (!range.after.empty() && *key <= range.after) continue;
        if (!range.before.empty() && *key >= range.before) {
          past_range = true;
          continue;
        }
        ListEntry entry{std::move(*key), {}, {}};
        if (const auto size = s3xml::first_text(contents, "Size")) {
          char* stop = nullptr;
          const auto value = std::strtoull(size->c_str(), &stop, 10);
          if (!size->empty() && *stop == '\0') entry.size = value;
        }
        if (const auto when = s3xml::first_text(contents, "LastModified"))
          entry.modified = parse_iso_time(*when);
        entries.push_back(std::move(entry));
      }
      if (past_range || (limit > 0 && entries.size() >= limit)) break;
      const auto truncated = s3xml::first_text(xml, "IsTruncated");
      const auto next = s3xml::first_text(xml, "NextContinuationToken");
      if (truncated != "true" || !next || next->empty()) break;
      token = *next;
    }
    return entries;
  }

  [[noreturn]] void raise(const Call& call, const std::string& what) const {
    const auto where = what + " " + m_url;
    const auto tries = " (tried " + std::to_string(call.attempts) + " times)";
    if (call.curl != CURLE_OK) {
      const std::string detail =
          call.curl_error.empty() ? curl_easy_strerror(call.curl) : call.curl_error;
      if (call.curl == CURLE_PEER_FAILED_VERIFICATION || call.curl == CURLE_SSL_CONNECT_ERROR ||
          call.curl == CURLE_SSL_CACERT_BADFILE) {
        fail(ErrorCode::unreachable,
             "cannot " + where + ": TLS verification of " + m_location.host + " failed: " + detail,
             m_ca_file.empty()
                 ? "the endpoint's certificate must chain to a CA the system trusts and match "
                   "its name; for a private CA give its certificate with --s3-ca FILE (or "
                   "WARD_S3_CA_FILE)"
                 : "the endpoint's certificate must chain to the CA in " + m_ca_file +
                       " (--s3-ca / WARD_S3_CA_FILE) and match its name");
      }
      fail(ErrorCode::unreachable,
           "cannot " + where + ": " + detail + " (curl error " + std::to_string(call.curl) + ")" +
               tries,
           "check that the S3 endpoint " + m_endpoint + " is up and reachable, then retry");
    }
    const auto code = call.error_code();
    const auto status =
        " (HTTP " + std::to_string(call.status) + (code.empty() ? "" : " " + code) + ")";
    if (code == "RequestTimeTooSkewed") {
      fail(ErrorCode::auth,
           "cannot " + where + ": the server refused the request time" + status +
               ": this machine's clock differs from the server's by more than 15 minutes",
           "set the clock right (e.g. with NTP) and retry");
    }
    if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "InvalidToken" ||
        code == "ExpiredToken") {
      fail(ErrorCode::auth,
           "cannot " + where + ": the server rejected the credentials" + status + " from " +
               m_credentials_source,
           m_credentials_source.starts_with("AWS_")
               ? "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
                 "temporary credentials)"
               : "check the access_key_id field and secret_access_key secret of the " +
                     m_credentials_source);
    }
    if (call.status == 401 || call.status == 403) {
      fail(ErrorCode::auth, "cannot " + where + ": access denied" + status,
           "the credentials (" + m_credentials_source +
               ") need read, write, list and delete rights on bucket '" + m_location.bucket + "'");
    }
    if (code == "NoSuchBucket" || (call.status == 404 && call.key.empty())) {
      fail(ErrorCode::not_found,
           "cannot " + where + ": bucket '" + m_location.bucket + "' does not exist at " +
               m_endpoint,
           "create the bucket first (ward does not create buckets), or fix the bucket name in "
           "the store URL");
    }
    if (call.status >= 500 || call.status == 429) {
      fail(ErrorCode::unreachable,
           "cannot " + where + ": the server keeps failing" + status + tries, "retry later");
    }
    fail(ErrorCode::internal, "cannot " + where + ": unexpected answer" + status);
  }

  // Engines are lent to one operation at a time; a thread that needs one while all are busy
  // gets a new one.
  struct Lease {
    S3Store& store;
    std::unique_ptr<Engine> engine;
    explicit Lease(S3Store& owner) : store(owner) {
      const std::lock_guard lock(store.m_engines_mutex);
      if (!store.m_engines.empty()) {
        engine = std::move(store.m_engines.back());
        store.m_engines.pop_back();
      }
      if (!engine) engine = std::make_unique<Engine>();
      if (!engine->multi) fail(ErrorCode::internal, "libcurl could not create a multi handle");
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      const std::lock_guard lock(store.m_engines_mutex);
      store.m_engines.push_back(std::move(engine));
    }
  };

  void run_one(Call& call) {
    std::vector<Call*> calls{&call};
    run(calls, 1);
  }

  void run_all(std::vector<Call>& calls, std::size_t parallel) {
    std::vector<Call*> pointers;
    pointers.reserve(calls.size());
    for (auto& call : calls) pointers.push_back(&call);
    run(pointers, parallel);
  }

  void prepare(CURL* easy, Call& call) {
    curl_easy_reset(easy);
    call.status = 0;
    call.curl = CURLE_OK;
    call.curl_error.clear();
    call.restart_response();
    call.response_headers.clear();
    call.sent = 0;
    call.error_buffer[0] = '\0';
    ++call.attempts;
    if (call.payload_sha256.empty())
      call.payload_sha256 = crypto::hex_encode(crypto::sha256(call.body));

    const auto path = path_of(call.key);
    const auto query = sigv4::canonical_query(call.query);
    const auto url = m_location.scheme + "://" + m_authority + sigv4::uri_encode(path, true) +
                     (query.empty() ? "" : "?" + query);
    sigv4::Request request;
    request.method = call.method;
    request.path = path;
    request.query = call.query;
    request.payload_sha256 = call.payload_sha256;
    request.headers = {{"host", m_authority},
                       {"x-amz-date", sigv4::amz_date(std::chrono::system_clock::now())},
                       {"x-amz-content-sha256", call.payload_sha256}};
    if (!m_credentials.session_token.empty())
      request.headers.emplace_back("x-amz-security-token", m_credentials.session_token);
    request.headers.insert(request.headers.end(), call.headers.begin(), call.headers.end());
    const auto signature =
        sigv4::sign(request, m_credentials, m_location.region, "s3", request.headers[1].second);

    curl_slist* list = nullptr;
    const auto add = [&](const std::string& line) {
      auto* grown = curl_slist_append(list, line.c_str());
      if (grown == nullptr) {
        curl_slist_free_all(list);
        fail(ErrorCode::internal, "out of memory building an S3 request");
      }
      list = grown;
    };
    for (const auto& [name, value] : request.headers)
      add(std::string(name).append(": ").append(value));
    add("Authorization: " + signature.authorization);
    add("Expect:");  // no 100-continue round trip before each body
    call.header_list.reset(list);

    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, call.header_list.get());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &call);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, call.error_buffer.data());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &call);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &call);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    // A transfer that moves nothing for 30 s is dead (the server may have gone away).
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!m_ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, m_ca_file.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 512L * 1024L);
    curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024L);
    if (call.method == "PUT" || call.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(easy, CURLOPT_READDATA, &call);
      curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, on_seek);
      curl_easy_setopt(easy, CURLOPT_SEEKDATA, &call);
      if (call.method == "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "POST");
    } else if (call.method == "HEAD") {
      curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (call.method != "GET") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    }
  }

  void run(std::vector<Call*>& calls, std::size_t parallel) {
    global_init();
    const Lease lease(*this);
    auto& engine = *lease.engine;
    std::deque<Call*> pending(calls.begin(), calls.end());
    std::vector<Call*> waiting;  // failed, to be retried after their backoff
    std::size_t active = 0;
    for (;;) {
      const auto now = Clock::now();
      for (auto it = waiting.begin(); it != waiting.end();) {
        if ((*it)->not_before <= now) {
          pending.push_back(*it);
          it = waiting.erase(it);
        } else {
          ++it;
        }
      }
      while (active < parallel && !pending.empty()) {
        Call* call = pending.front();
        pending.pop_front();
        Easy easy;
        if (!engine.idle.empty()) {
          easy = std::move(engine.idle.back());
          engine.idle.pop_back();
        } else {
          easy.reset(curl_easy_init());
          if (!easy) fail(ErrorCode::internal, "libcurl could not create a handle");
        }
        prepare(easy.get(), *call);
        if (curl_multi_add_handle(engine.multi.get(), easy.get()) != CURLM_OK)
          fail(ErrorCode::internal, "libcurl refused a transfer");
        (void)easy.release();  // owned by the multi handle until it is done
        ++active;
      }
      if (active == 0 && pending.empty()) {
        if (waiting.empty()) break;
        auto earliest = waiting.front()->not_before;
        for (const auto* call : waiting) earliest = std::min(earliest, call->not_before);
        std::this_thread::sleep_until(earliest);
        continue;
      }
      int running = 0;
      if (curl_multi_perform(engine.multi.get(), &running) != CURLM_OK)
        fail(ErrorCode::internal, "libcurl failed while transferring");
      int left = 0;
      while (CURLMsg* message = curl_multi_info_read(engine.multi.get(), &left)) {
        if (message->msg != CURLMSG_DONE) continue;
        Easy easy(message->easy_handle);
        const auto result = message->data.result;
        curl_multi_remove_handle(engine.multi.get(), easy.get());
        --active;
        char* owner = nullptr;
        curl_easy_getinfo(easy.get(), CURLINFO_PRIVATE, &owner);
        auto* call = reinterpret_cast<Call*>(owner);
        call->curl = result;
        if (result != CURLE_OK) {
          call->curl_error = call->error_buffer.data();
          call->status = 0;
        } else {
          curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &call->status);
        }
        engine.idle.push_back(std::move(easy));
        if (retryable(*call) && call->attempts < k_max_attempts) {
          call->not_before = Clock::now() + backoff(call->attempts);
          waiting.push_back(call);
        }
      }
      if (active > 0) curl_multi_poll(engine.multi.get(), nullptr, 0, 100, nullptr);
    }
  }

  std::string m_url;
  S3Location m_location;
  sigv4::Credentials m_credentials;
  std::string m_credentials_source;  // "AWS_ACCESS_KEY_ID" or "stored credential 'NAME'"
  std::string m_ca_file;
  std::string m_authority;
  std::string m_endpoint;  // scheme://host[:port], for messages
  bool m_atomic = false;
  std::vector<std::string> m_warnings;
  std::atomic<bool> m_unconfirmed_write{false};
  std::mutex m_engines_mutex;
  std::vector<std::unique_ptr<Engine>> m_engines;
};

sigv4::Credentials credentials_from_environment(const std::string& url) {
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (id == nullptr || *id == '\0' || secret == nullptr || *secret == '\0') {
    fail(ErrorCode::auth, "no S3 credentials for store " + url,
         "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary "
         "credentials), or name a stored ward credential with --s3-credential NAME (or "
         "WARD_S3_CREDENTIAL)");
  }
  sigv4::Credentials credentials;
  credentials.access_key_id = id;
  credentials.secret_access_key = crypto::SecretBytes::from(secret);
  if (const char* token = std::getenv("AWS_SESSION_TOKEN"); token != nullptr)
    credentials.session_token = token;
  return credentials;
}

// "16MiB", "5GiB", "8388608": bytes, with an optional binary unit (K, M, G, KiB, MiB, GiB).
std::optional<std::size_t> parse_byte_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0)
    ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  std::size_t value = std::stoull(std::string(text.substr(0, digits)));
  const auto unit = lowercase(std::string(text.substr(digits)));
  int shift = 0;
  if (unit == "k" || unit == "kib") {
    shift = 10;
  } else if (unit == "m" || unit == "mib") {
    shift = 20;
  } else if (unit == "g" || unit == "gib") {
    shift = 30;
  } else if (!unit.empty()) {
    return std::nullopt;
  }
  if (value > (std::numeric_limits<std::size_t>::max() >> shift)) return std::nullopt;
  return value << shift;
}

}  // namespace

S3Location parse_s3_url(const std::string& url) {
  const auto bad = [&](const std::string& why) -> void {
    fail(ErrorCode::usage, "invalid store URL '" + url + "': " + why,
         "write it as s3://bucket/prefix?endpoint=https://host:port&region=REGION");
  };
  constexpr std::string_view scheme = "s3://";
  if (!url.starts_with(scheme)) bad("not an s3:// URL");
  auto rest = std::string_view(url).substr(scheme.size());
  std::string_view query;
  if (const auto mark = rest.find('?'); mark != std::string_view::npos) {
    query = rest.substr(mark + 1);
    rest = rest.substr(0, mark);
  }
  S3Location location;
  const auto slash = rest.find('/');
  location.bucket = std::string(rest.substr(0, slash));
  if (location.bucket.empty()) bad("no bucket");
  for (const char c : location.bucket) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '.' && c != '_')
      bad("the bucket name may hold only letters, digits, '-', '_' and '.'");
  }
  if (slash != std::string_view::npos) {
    auto prefix = rest.substr(slash + 1);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    if (!prefix.empty()) {
      location.prefix = std::string(prefix) + "/";
      try {
        validate_object_name(std::string(prefix));
      } catch (const Error&) {
        bad("the prefix must be a clean relative path");
      }
    }
  }
  std::string endpoint;
  std::string addressing;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto equals = pair.find('=');
    const auto name = pair.substr(0, equals);
    const auto value =
        equals == std::string_view::npos ? std::string() : percent_decode(pair.substr(equals + 1));
    if (name == "endpoint") {
      endpoint = value;
    } else if (name == "region") {
      if (value.empty()) bad("empty region");
      location.region = value;
    } else if (name == "addressing") {
      if (value != "path" && value != "virtual") bad("addressing must be 'path' or 'virtual'");
      addressing = value;
    } else if (name == "multipart_threshold" || name == "part_size") {
      // S3's limits: parts of 5 MiB to 5 GiB, and no single PUT over 5 GiB.
      constexpr std::size_t smallest = std::size_t{5} << 20;
      constexpr std::size_t largest = std::size_t{5} << 30;
      const auto size = parse_byte_size(value);
      if (!size || *size < smallest || *size > largest)
        bad(std::string(name) + " must be a size from 5MiB to 5GiB (e.g. 64MiB)");
      (name == "part_size" ? location.part_size : location.multipart_threshold) = *size;
    } else if (!name.empty()) {
      bad("unknown parameter '" + std::string(name) +
          "' (known: endpoint, region, addressing, multipart_threshold, part_size)");
    }
  }
  if (endpoint.empty()) {
    location.scheme = "https";
    location.host = "s3." + location.region + ".amazonaws.com";
    location.path_style = addressing == "path";
  } else {
    const auto colon = endpoint.find("://");
    if (colon == std::string::npos)
      bad("the endpoint must start with https:// (or http:// on loopback)");
    location.scheme = lowercase(endpoint.substr(0, colon));
    if (location.scheme != "https" && location.scheme != "http")
      bad("the endpoint must be https:// or http://");
    auto authority = endpoint.substr(colon + 3);
    while (!authority.empty() && authority.back() == '/') authority.pop_back();
    if (authority.empty() || authority.find('/') != std::string::npos ||
        authority.find('@') != std::string::npos)
      bad("the endpoint must be scheme://host[:port], without a path or user");
    if (authority.front() == '[') {
      const auto close = authority.find(']');
      if (close == std::string::npos) bad("unbalanced '[' in the endpoint");
      location.host = authority.substr(1, close - 1);
      authority = authority.substr(close + 1);
      if (!authority.empty() && authority.front() != ':') bad("junk after the endpoint's address");
      if (!authority.empty())
        authority = authority.substr(1);
      else
        authority.clear();
    } else {
      const auto port_colon = authority.rfind(':');
      location.host = authority.substr(0, port_colon);
      authority =
          port_colon == std::string::npos ? std::string() : authority.substr(port_colon + 1);
    }
    if (!authority.empty()) {
      if (authority.size() > 5 ||
          !std::all_of(authority.begin(), authority.end(),
                       [](unsigned char c) { return std::isdigit(c) != 0; }))
        bad("the endpoint's port must be a number");
      location.port = std::stoi(authority);
      if (location.port < 1 || location.port > 65535) bad("the endpoint's port is out of range");
    }
    location.host = lowercase(location.host);
    if (location.host.empty()) bad("the endpoint has no host");
    location.path_style = addressing != "virtual";
  }
  location.loopback = is_loopback_host(location.host);
  if (location.scheme == "http" && !location.loopback) {
    fail(ErrorCode::usage,
         "refusing plain http:// to " + location.host + " for store '" + url +
             "': credentials and requests would travel unencrypted",
         "use an https:// endpoint (plain http:// is allowed only for loopback addresses)");
  }
  if (location.host.find(':') != std::string::npos) location.host = "[" + location.host + "]";
  return location;
}

std::unique_ptr<ObjectStore> make_s3_store(const std::string& url, const StoreOptions& options) {
  auto location = parse_s3_url(url);
  if (!options.s3_ca_file.empty() && ::access(options.s3_ca_file.c_str(), R_OK) != 0) {
    fail(ErrorCode::usage, "cannot read the CA file " + options.s3_ca_file + " for store " + url,
         "--s3-ca / WARD_S3_CA_FILE must name a readable PEM file of CA certificates");
  }
  sigv4::Credentials credentials;
  std::string source = "AWS_ACCESS_KEY_ID";
  if (options.s3_credentials) {
    credentials.access_key_id = options.s3_credentials->access_key_id;
    credentials.secret_access_key = options.s3_credentials->secret_access_key.clone();
    credentials.session_token = options.s3_credentials->session_token;
    source = options.s3_credentials_source;
  } else {
    credentials = credentials_from_environment(url);
  }
  auto store = std::make_unique<S3Store>(url, std::move(location), std::move(credentials),
                                         std::move(source), options.s3_ca_file);
  store->detect_mode();
  return store;
}

}  // namespace ward::store
