#include "ward/check/http.hpp"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <regex>

#include "ward/error.hpp"
#include "ward/util/duration.hpp"

namespace ward::check {
namespace {

using Clock = std::chrono::steady_clock;
using Response = HttpResponse;

struct CurlFree {
  void operator()(CURL* p) const { curl_easy_cleanup(p); }
};

// Sent when browsers are told to remember HTTPS for less than half a year.
constexpr long k_hsts_min_age = 15552000;

// What the header callback needs while the transfer runs.
struct Transfer {
  HttpResponse& response;
  CURL* handle;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Runs during the transfer, while the TLS session is alive: the protocol and certificate are
// read here.
std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  auto& response = transfer.response;
  const std::string line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string::npos && lower(line.substr(0, colon)) == "strict-transport-security") {
    response.hsts = trim(line.substr(colon + 1));
  }
  if (response.tls_version.empty()) {
    curl_tlssessioninfo* info = nullptr;
    if (curl_easy_getinfo(transfer.handle, CURLINFO_TLS_SSL_PTR, &info) == CURLE_OK &&
        info != nullptr && info->backend == CURLSSLBACKEND_OPENSSL && info->internals != nullptr) {
      auto* ssl = static_cast<SSL*>(info->internals);
      response.tls_version = SSL_get_version(ssl);
      if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
        response.cipher = SSL_CIPHER_get_name(cipher);
      }
      if (X509* cert = SSL_get0_peer_certificate(ssl)) {
        int days = 0;
        int seconds = 0;
        ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert));
        response.cert_days_left = days;
        response.have_cert = true;
        std::tm tm{};
        if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
          char buf[32];
          std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
          response.cert_not_after = buf;
        }
      }
    }
  }
  return size * count;
}

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

struct SlistFree {
  void operator()(curl_slist* list) const {
    // The secret header's copy lives in the list: zero it before libcurl frees it.
    for (auto* item = list; item != nullptr; item = item->next)
      OPENSSL_cleanse(item->data, std::strlen(item->data));
    curl_slist_free_all(list);
  }
};

Response fetch(const std::string& url, const HttpOptions& options, bool verify) {
  HttpRequest request;
  request.url = url;
  request.ca_file = options.ca_file;
  request.verify = verify;
  request.timeout = options.timeout;
  return http_get(request);
}

std::string error_id(const Response& response) {
  const auto failure = response.connect_failure();
  if (failure == "unresolved") return "http.connect.unresolved";
  if (failure == "refused") return "http.connect.refused";
  if (failure == "timeout") return "http.connect.timeout";
  return "http.connect.failed";
}

long hsts_max_age(const std::string& value) {
  static const std::regex k_max_age(R"re((^|;)\s*max-age\s*=\s*"?(\d+)"?)re", std::regex::icase);
  std::smatch match;
  if (!std::regex_search(value, match, k_max_age)) return -1;
  try {
    return std::stol(match[2].str());
  } catch (const std::exception&) {
    return -1;
  }
}

void check_https(Probe& probe, const std::string& url, const HttpOptions& options) {
  auto response = fetch(url, options, /*verify=*/true);
  if (response.untrusted() || response.bad_ca_file()) {
    if (response.bad_ca_file()) {
      fail(ErrorCode::usage, "cannot read CA certificates from " + options.ca_file,
           "--ca takes a PEM file of trusted certificates");
    }
    probe.add("http.tls.untrusted", Severity::high,
              "the certificate of " + url + " does not verify: " + response.error,
              {{"url", url}, {"error", response.error}});
    // Go on without verification to judge what the server sends.
    response = fetch(url, options, /*verify=*/false);
  }
  if (!response.ok()) {
    const bool tls = response.tls_failed();
    probe.set_error(
        tls ? "http.tls.handshake_failed" : error_id(response),
        "cannot fetch " + url + ": " + response.error +
            (tls ? " (`ward check tls` shows which versions and suites it accepts)" : ""),
        {{"url", url}});
    return;
  }
  probe.facts["https_url"] = url;
  probe.facts["status"] = response.status;
  if (!response.tls_version.empty()) {
    probe.facts["protocol"] = response.tls_version;
    probe.facts["cipher"] = response.cipher;
  }
  if (response.have_cert) {
    probe.facts["cert_not_after"] = response.cert_not_after;
    probe.facts["cert_days_left"] = response.cert_days_left;
    if (response.cert_days_left >= 0 && response.cert_days_left < options.warn_days) {
      probe.add("http.cert.expiring", Severity::medium,
                "the certificate expires in " + std::to_string(response.cert_days_left) +
                    " day(s), within --warn-days " + std::to_string(options.warn_days),
                {{"not_after", response.cert_not_after}, {"days_left", response.cert_days_left}});
    }
  }
  if (response.hsts.empty()) {
    probe.add("http.hsts.missing", Severity::medium,
              "no Strict-Transport-Security header: browsers may still try plain HTTP",
              {{"url", url}, {"status", response.status}});
  } else {
    probe.facts["hsts"] = response.hsts;
    const long age = hsts_max_age(response.hsts);
    if (age < k_hsts_min_age) {
      probe.add("http.hsts.short", Severity::low,
                "Strict-Transport-Security max-age is " +
                    (age < 0 ? std::string("missing") : std::to_string(age) + " seconds") +
                    ", less than 180 days",
                {{"header", response.hsts}, {"max_age", age}});
    }
  }
}

}  // namespace

Probe check_http(const HttpOptions& options) {
  const auto started = Clock::now();
  Probe probe;
  probe.kind = "http";
  probe.target = options.url;
  probe.checked_at = util::format_time(util::now());
  const auto scheme = lower(options.url.substr(0, options.url.find("://")));
  if (options.url.find("://") == std::string::npos || (scheme != "http" && scheme != "https")) {
    fail(ErrorCode::usage,
         "bad URL '" + options.url + "': check http takes http:// or https:// URLs");
  }
  if (options.warn_days < 0) fail(ErrorCode::usage, "--warn-days must not be negative");
  const auto finish = [&]() -> Probe {
    probe.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    probe.settle();
    return std::move(probe);
  };

  std::string https_url = options.url;
  if (scheme == "http") {
    const auto response = fetch(options.url, options, /*verify=*/true);
    if (!response.ok()) {
      probe.set_error(error_id(response), "cannot fetch " + options.url + ": " + response.error,
                      {{"url", options.url}});
      return finish();
    }
    probe.facts["http_status"] = response.status;
    const bool redirect = response.status >= 300 && response.status < 400;
    if (redirect) probe.facts["redirect"] = response.redirect;
    if (!redirect || lower(response.redirect).rfind("https://", 0) != 0) {
      probe.add(
          "http.redirect.missing", Severity::high,
          "plain HTTP is served without a redirect to HTTPS",
          {{"url", options.url}, {"status", response.status}, {"location", response.redirect}});
      return finish();
    }
    https_url = response.redirect;
  }
  check_https(probe, https_url, options);
  return finish();
}

bool HttpResponse::untrusted() const { return curl_code == CURLE_PEER_FAILED_VERIFICATION; }

bool HttpResponse::tls_failed() const { return curl_code == CURLE_SSL_CONNECT_ERROR; }

bool HttpResponse::bad_ca_file() const { return curl_code == CURLE_SSL_CACERT_BADFILE; }

std::string HttpResponse::connect_failure() const {
  switch (curl_code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return "unresolved";
    case CURLE_COULDNT_CONNECT:
      return "refused";
    case CURLE_OPERATION_TIMEDOUT:
      return "timeout";
    default:
      return "failed";
  }
}

HttpResponse http_get(const HttpRequest& request) {
  HttpResponse response;
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) fail(ErrorCode::internal, "cannot create an HTTP client");
  Transfer transfer{response, curl.get()};
  char error[CURL_ERROR_SIZE] = {};
  const auto timeout = static_cast<long>(request.timeout.count());
  curl_easy_setopt(curl.get(), CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, timeout);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, timeout);
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "ward-check/" WARD_VERSION);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, request.verify ? 1L : 0L);
  curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYHOST, request.verify ? 2L : 0L);
  if (!request.ca_file.empty())
    curl_easy_setopt(curl.get(), CURLOPT_CAINFO, request.ca_file.c_str());
  std::unique_ptr<curl_slist, SlistFree> connect_to;
  if (!request.connect_host.empty()) {
    // "::ADDR:PORT": every host and port of the URL goes to the forward instead.
    const auto entry = "::" + request.connect_host + ":" + std::to_string(request.connect_port);
    connect_to.reset(curl_slist_append(nullptr, entry.c_str()));
    curl_easy_setopt(curl.get(), CURLOPT_CONNECT_TO, connect_to.get());
  }
  std::unique_ptr<curl_slist, SlistFree> headers;
  if (request.secret_header) {
    // curl_slist_append copies the string; build it in secret memory, NUL-terminated.
    auto line = request.secret_header->clone();
    line.append(std::string_view("\0", 1));
    headers.reset(curl_slist_append(nullptr, reinterpret_cast<const char*>(line.data())));
    if (!headers) fail(ErrorCode::internal, "out of memory for an HTTP header");
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  }
  response.curl_code = curl_easy_perform(curl.get());
  response.error =
      error[0] != '\0' ? error : curl_easy_strerror(static_cast<CURLcode>(response.curl_code));
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  char* location = nullptr;
  if (curl_easy_getinfo(curl.get(), CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
      location != nullptr) {
    response.redirect = location;
  }
  return response;
}

std::optional<UrlParts> parse_url(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), curl_url_cleanup);
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return std::nullopt;
  const auto part = [&](CURLUPart which, unsigned flags) -> std::optional<std::string> {
    char* text = nullptr;
    if (curl_url_get(handle.get(), which, &text, flags) != CURLUE_OK) return std::nullopt;
    std::string value = text;
    curl_free(text);
    return value;
  };
  const auto scheme = part(CURLUPART_SCHEME, 0);
  auto host = part(CURLUPART_HOST, 0);
  const auto port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port || host->empty()) return std::nullopt;
  if (host->size() > 2 && host->front() == '[' && host->back() == ']')
    host = host->substr(1, host->size() - 2);
  UrlParts parts{lower(*scheme), *host, 0};
  try {
    const auto number = std::stoul(*port);
    if (number == 0 || number > 65535) return std::nullopt;
    parts.port = static_cast<std::uint16_t>(number);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return parts;
}

}  // namespace ward::check
