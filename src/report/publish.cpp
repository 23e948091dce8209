#include "ward/report/publish.hpp"

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <memory>

#include "ward/error.hpp"

namespace ward::report {
namespace {

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

}  // namespace

long post_json(const Destination& destination, const std::string& json) {
  if (!destination.url.starts_with("https://")) {
    fail(ErrorCode::usage, "--out URL must be https:// (got " + destination.url + ")",
         "a report names credentials and hosts; send it over TLS only");
  }
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) fail(ErrorCode::internal, "cannot initialise libcurl");
  std::unique_ptr<curl_slist, SlistFree> headers(
      curl_slist_append(nullptr, "Content-Type: application/json"));
  if (!destination.header_name.empty()) {
    // libcurl copies the line; ours is wiped as soon as it is handed over.
    std::string text =
        destination.header_name + ": " + std::string(destination.header_value.reveal());
    headers.reset(curl_slist_append(headers.release(), text.c_str()));
    OPENSSL_cleanse(text.data(), text.size());
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, destination.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl.get(), CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, destination.timeout_ms);
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "ward-report/" WARD_VERSION);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, json.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, discard);
  curl_blob ca{};
  if (!destination.ca_pem.empty()) {
    ca.data = const_cast<char*>(destination.ca_pem.data());
    ca.len = destination.ca_pem.size();
    ca.flags = CURL_BLOB_COPY;
    curl_easy_setopt(curl.get(), CURLOPT_CAINFO_BLOB, &ca);
  }
  const auto rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    fail(ErrorCode::unreachable,
         "cannot send the report to " + destination.url + ": " +
             (error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(rc))),
         rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE
             ? "the server's certificate is not trusted: store its CA in the credential "
               "(--field-file sslrootcert=ca.pem)"
             : "");
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    fail(ErrorCode::unreachable,
         "the report was not accepted by " + destination.url + ": HTTP " + std::to_string(status),
         status == 401 || status == 403 ? "check the credential named by --auth-cred" : "");
  }
  return status;
}

}  // namespace ward::report
