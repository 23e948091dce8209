#include "ward/check/tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <functional>
#include <memory>
#include <thread>

#include "ward/check/net.hpp"
#include "ward/check/tls_hello.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/error.hpp"
#include "ward/util/duration.hpp"

namespace ward::check {
namespace {

using Clock = std::chrono::steady_clock;

// A whole check may take this many --timeout periods (connect, STARTTLS, a few rounds of
// cipher enumeration each bounded by it) before its connections are cut.
constexpr int k_deadline_steps = 4;

struct SslCtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct X509StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct X509StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct X509StackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_free(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

// Everything a probe needs to reach the server: shared, read-only, by all probe threads.
struct Target {
  net::Endpoint endpoint;
  net::Address address;
  std::string sni;
  starttls::Protocol starttls = starttls::Protocol::none;
  std::chrono::milliseconds timeout{5000};
  net::Watchdog* watchdog = nullptr;
};

// A connection brought to the point where the client's next bytes are a ClientHello.
struct Opened {
  net::Socket socket;
  net::Failure failure = net::Failure::none;
  std::string error;
  bool not_offered = false;                // STARTTLS: the server does not do TLS
  bool starttls_failed = false;            // STARTTLS: the plaintext opening went wrong
  std::string server;                      // banner / version from the plaintext opening
  net::WatchdogRegistration registration;  // after the socket: unregistered before it closes
};

Opened open_connection(const Target& target) {
  Opened out;
  auto connection = net::connect(target.address, target.timeout);
  if (connection.failure != net::Failure::none) {
    out.failure = connection.failure;
    out.error = connection.error;
    return out;
  }
  out.socket = std::move(connection.socket);
  out.registration = net::WatchdogRegistration(target.watchdog, out.socket.fd());
  if (target.starttls != starttls::Protocol::none) {
    const auto outcome = starttls::negotiate(out.socket, target.starttls);
    out.server = outcome.server;
    if (outcome.kind == starttls::Outcome::Kind::not_offered) {
      out.not_offered = true;
      out.error = outcome.detail;
    } else if (outcome.kind == starttls::Outcome::Kind::failed) {
      out.failure = outcome.failure;
      out.starttls_failed = true;
      out.error = std::string(starttls::protocol_name(target.starttls)) + " STARTTLS with " +
                  target.endpoint.text() + " failed: " + outcome.detail;
    }
  }
  return out;
}

// The OpenSSL error queue as one line, and cleared.
std::string ssl_errors() {
  std::string out;
  while (const auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    const char* reason = ERR_reason_error_string(code);
    if (!out.empty()) out += "; ";
    out += reason != nullptr ? reason : buf;
  }
  return out;
}

bool is_ip_literal(const std::string& host) {
  std::array<unsigned char, 16> buf{};
  return ::inet_pton(AF_INET, host.c_str(), buf.data()) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf.data()) == 1;
}

// --- OpenSSL handshakes ---------------------------------------------------------------------

struct Handshake {
  bool connected = false;  // TCP (and STARTTLS) worked
  bool ok = false;         // the TLS handshake completed
  bool not_offered = false;
  bool starttls_failed = false;
  bool timed_out = false;
  // The answer was not a TLS record at all (OpenSSL's "wrong version number" on the first
  // record): a server of another protocol.
  bool not_tls_record = false;
  net::Failure failure = net::Failure::none;
  std::string error;
  std::string version;
  std::string cipher;
  std::string server;
  std::vector<X509Ptr> chain;  // leaf first, as the server sent it
};

// A permissive client: every version from TLS 1.0 up, security level 0, so legacy servers are
// seen at all. `ciphers` narrows the TLS 1.2-and-below list.
SslCtxPtr make_context(int min_version, int max_version, const char* ciphers) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) fail(ErrorCode::internal, "cannot create a TLS context: " + ssl_errors());
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_min_proto_version(ctx.get(), min_version);
  SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  SSL_CTX_set_cipher_list(ctx.get(), ciphers);
  SSL_CTX_set_options(ctx.get(), SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  return ctx;
}

Handshake handshake(const Target& target, SSL_CTX* ctx, bool want_chain) {
  Handshake out;
  auto opened = open_connection(target);
  out.server = opened.server;
  if (opened.failure != net::Failure::none) {
    out.failure = opened.failure;
    out.error = opened.error;
    out.starttls_failed = opened.starttls_failed;
    return out;
  }
  out.connected = true;
  if (opened.not_offered) {
    out.not_offered = true;
    out.error = opened.error;
    return out;
  }
  SslPtr ssl(SSL_new(ctx));
  if (!ssl) {
    out.error = "cannot create a TLS session: " + ssl_errors();
    return out;
  }
  SSL_set_fd(ssl.get(), opened.socket.fd());
  if (!target.sni.empty() && !is_ip_literal(target.sni)) {
    SSL_set_tlsext_host_name(ssl.get(), target.sni.c_str());
  }
  ERR_clear_error();
  errno = 0;
  const int rc = SSL_connect(ssl.get());
  if (rc != 1) {
    const int err = SSL_get_error(ssl.get(), rc);
    const int saved_errno = errno;
    const auto first = ERR_peek_error();
    out.not_tls_record =
        ERR_GET_LIB(first) == ERR_LIB_SSL && ERR_GET_REASON(first) == SSL_R_WRONG_VERSION_NUMBER;
    const auto queue = ssl_errors();
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ||
        (err == SSL_ERROR_SYSCALL && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK))) {
      out.timed_out = true;
      out.error = "no TLS answer from " + target.endpoint.text() + " within " +
                  std::to_string(target.timeout.count()) + " ms";
    } else if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN) {
      out.error = "the server closed the connection during the TLS handshake";
    } else {
      out.error = "TLS handshake failed: " + (queue.empty() ? "unknown error" : queue);
    }
    return out;
  }
  out.ok = true;
  out.version = SSL_get_version(ssl.get());
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl.get())) {
    out.cipher = SSL_CIPHER_standard_name(cipher) != nullptr ? SSL_CIPHER_standard_name(cipher)
                                                             : SSL_CIPHER_get_name(cipher);
  }
  if (want_chain) {
    if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl.get())) {
      for (int i = 0; i < sk_X509_num(chain); ++i) {
        X509* cert = sk_X509_value(chain, i);
        X509_up_ref(cert);
        out.chain.emplace_back(cert);
      }
    }
  }
  SSL_shutdown(ssl.get());
  return out;
}

// --- hand-built ClientHello probes ----------------------------------------------------------

struct RawAnswer {
  enum class Kind { hello, refused, malformed, failed };
  Kind kind = Kind::failed;
  std::uint16_t version = 0;
  std::uint16_t cipher = 0;
  std::string detail;
};

RawAnswer raw_probe(const Target& target, std::uint16_t version,
                    const std::vector<std::uint16_t>& suites) {
  RawAnswer out;
  auto opened = open_connection(target);
  if (opened.failure != net::Failure::none || opened.not_offered) {
    out.detail = opened.error;
    return out;
  }
  std::array<std::uint8_t, 32> random{};
  RAND_bytes(random.data(), static_cast<int>(random.size()));
  const auto hello = hello::client_hello(version, suites, target.sni, random);
  if (!opened.socket.send_all(hello)) {
    out.detail = "cannot send a ClientHello";
    return out;
  }
  std::vector<std::uint8_t> received;
  while (received.size() < 65536) {
    net::Failure failure = net::Failure::none;
    const auto chunk = opened.socket.receive(4096, failure);
    if (chunk.empty()) {
      // A server that hangs up on an unwelcome hello refuses it, like an alert would.
      out.kind =
          failure == net::Failure::closed ? RawAnswer::Kind::refused : RawAnswer::Kind::failed;
      out.detail = failure == net::Failure::timeout ? "no answer to the ClientHello"
                                                    : "connection closed after the ClientHello";
      return out;
    }
    received.insert(received.end(), chunk.begin(), chunk.end());
    const auto reply = hello::parse_server_reply(received);
    switch (reply.kind) {
      case hello::ServerReply::Kind::incomplete:
        continue;
      case hello::ServerReply::Kind::server_hello:
        out.kind = RawAnswer::Kind::hello;
        out.version = reply.version;
        out.cipher = reply.cipher;
        return out;
      case hello::ServerReply::Kind::alert:
        out.kind = RawAnswer::Kind::refused;
        out.detail = "alert " + hello::alert_name(reply.alert_description);
        return out;
      case hello::ServerReply::Kind::malformed:
        out.kind = RawAnswer::Kind::malformed;
        out.detail = reply.error;
        return out;
    }
  }
  out.kind = RawAnswer::Kind::malformed;
  out.detail = "no ServerHello in the first 64 KiB";
  return out;
}

// The suites of one weakness class the server accepts: ask with the whole class, remove what
// it picks, ask again — a few round trips, no key exchange.
struct ClassScan {
  std::vector<std::uint16_t> accepted;
  std::uint16_t version = 0;
  bool answered = false;  // some answer (hello or refusal) came back
};

ClassScan scan_class(const Target& target, unsigned mask) {
  ClassScan scan;
  auto remaining = hello::suites_in(mask);
  for (int round = 0; round < 12 && !remaining.empty(); ++round) {
    const auto answer = raw_probe(target, hello::k_tls12, remaining);
    if (answer.kind == RawAnswer::Kind::refused) scan.answered = true;
    if (answer.kind != RawAnswer::Kind::hello) break;
    scan.answered = true;
    scan.version = answer.version;
    scan.accepted.push_back(answer.cipher);
    const auto it = std::find(remaining.begin(), remaining.end(), answer.cipher);
    if (it == remaining.end()) break;  // a server that picks what was not offered
    remaining.erase(it);
  }
  return scan;
}

// --- certificates ---------------------------------------------------------------------------

std::string name_text(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(len)};
}

std::string time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "";
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::vector<std::string> subject_alt_names(X509* cert) {
  std::vector<std::string> out;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const auto* s = name->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                         static_cast<std::size_t>(ASN1_STRING_length(s))));
    } else if (name->type == GEN_IPADD) {
      const auto* s = name->d.iPAddress;
      char buf[INET6_ADDRSTRLEN] = {};
      const int len = ASN1_STRING_length(s);
      if (len == 4 || len == 16) {
        ::inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), buf, sizeof(buf));
        out.push_back(std::string("IP:") + buf);
      }
    }
  }
  return out;
}

std::vector<std::uint8_t> sha256_of(X509* cert) {
  std::vector<std::uint8_t> digest(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  X509_digest(cert, EVP_sha256(), digest.data(), &len);
  digest.resize(len);
  return digest;
}

std::string fingerprint_text(const std::vector<std::uint8_t>& digest) {
  auto b64 = crypto::base64_encode(digest);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

// SHA256:<base64> (OpenSSH style) or SHA256:<hex>, colons allowed.
std::vector<std::uint8_t> parse_fingerprint(const std::string& text) {
  const std::string prefix = "SHA256:";
  const auto bad = [&] {
    fail(ErrorCode::usage, "bad --expect-fingerprint '" + text + "'",
         "give the leaf certificate's SHA-256 as SHA256:<base64> or SHA256:<hex>");
  };
  if (text.rfind(prefix, 0) != 0) bad();
  std::string value = text.substr(prefix.size());
  std::string hex;
  for (const char c : value) {
    if (c != ':') hex += c;
  }
  if (hex.size() == 64) {
    if (auto bytes = crypto::hex_decode(hex)) return *bytes;
  }
  while (value.size() % 4 != 0) value += '=';
  if (auto bytes = crypto::base64_decode(value); bytes && bytes->size() == 32) return *bytes;
  bad();
  return {};
}

int collect_verify_errors(int ok, X509_STORE_CTX* ctx) {
  if (ok == 0) {
    auto* errors = static_cast<std::vector<int>*>(X509_STORE_CTX_get_app_data(ctx));
    const int error = X509_STORE_CTX_get_error(ctx);
    if (errors != nullptr && std::find(errors->begin(), errors->end(), error) == errors->end()) {
      errors->push_back(error);
    }
  }
  return 1;  // go on: every problem of the chain is reported, not just the first
}

std::vector<int> verify_chain(const std::vector<X509Ptr>& chain, const std::string& ca_file) {
  std::unique_ptr<X509_STORE, X509StoreFree> store(X509_STORE_new());
  if (ca_file.empty()) {
    X509_STORE_set_default_paths(store.get());
  } else if (X509_STORE_load_file(store.get(), ca_file.c_str()) != 1) {
    ERR_clear_error();
    fail(ErrorCode::usage, "cannot read CA certificates from " + ca_file,
         "--ca takes a PEM file of trusted certificates");
  }
  std::unique_ptr<STACK_OF(X509), X509StackFree> untrusted(sk_X509_new_null());
  for (std::size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
  std::unique_ptr<X509_STORE_CTX, X509StoreCtxFree> ctx(X509_STORE_CTX_new());
  std::vector<int> errors;
  X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get());
  X509_STORE_CTX_set_app_data(ctx.get(), &errors);
  X509_STORE_CTX_set_verify_cb(ctx.get(), collect_verify_errors);
  X509_verify_cert(ctx.get());
  ERR_clear_error();
  return errors;
}

bool weak_digest(int nid) {
  return nid == NID_sha1 || nid == NID_md5 || nid == NID_md2 || nid == NID_md4;
}

void judge_certificate(Probe& probe, const std::vector<X509Ptr>& chain, const TlsOptions& options,
                       const std::string& name) {
  X509* leaf = chain.front().get();
  auto& facts = probe.facts;
  facts["cert_subject"] = name_text(X509_get_subject_name(leaf));
  facts["cert_issuer"] = name_text(X509_get_issuer_name(leaf));
  const auto sans = subject_alt_names(leaf);
  facts["cert_san"] = sans;
  facts["cert_not_before"] = time_text(X509_get0_notBefore(leaf));
  facts["cert_not_after"] = time_text(X509_get0_notAfter(leaf));
  const auto digest = sha256_of(leaf);
  facts["cert_fingerprint"] = fingerprint_text(digest);
  facts["cert_fingerprint_hex"] = crypto::hex_encode(digest);
  facts["chain_length"] = chain.size();

  // Validity, from the dates themselves, so the numbers are in the evidence.
  int days = 0;
  int seconds = 0;
  ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(leaf));
  facts["cert_days_left"] = days;
  const nlohmann::json dates{{"not_before", facts["cert_not_before"]},
                             {"not_after", facts["cert_not_after"]}};
  if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
    probe.add("tls.cert.expired", Severity::high,
              "the certificate expired on " + facts["cert_not_after"].get<std::string>(), dates);
  } else if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
    probe.add("tls.cert.not_yet_valid", Severity::high,
              "the certificate is not valid before " + facts["cert_not_before"].get<std::string>(),
              dates);
  } else if (days < options.warn_days) {
    auto evidence = dates;
    evidence["days_left"] = days;
    evidence["warn_days"] = options.warn_days;
    probe.add("tls.cert.expiring", Severity::medium,
              "the certificate expires in " + std::to_string(days) +
                  " day(s), within --warn-days " + std::to_string(options.warn_days),
              evidence);
  }

  // Trust: every error of the chain, then the ones with their own finding set aside.
  const auto errors = verify_chain(chain, options.ca_file);
  std::vector<std::string> texts;
  texts.reserve(errors.size());
  for (const int e : errors) texts.emplace_back(X509_verify_cert_error_string(e));
  facts["cert_verified"] = errors.empty();
  if (!texts.empty()) facts["cert_verify_errors"] = texts;
  const bool self_signed = X509_self_signed(leaf, 0) == 1;
  bool untrusted = false;
  for (const int e : errors) {
    if (e != X509_V_ERR_CERT_HAS_EXPIRED && e != X509_V_ERR_CERT_NOT_YET_VALID &&
        e != X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) {
      untrusted = true;
    }
  }
  const std::string anchors = options.ca_file.empty() ? "the system trust store" : options.ca_file;
  if (self_signed) {
    const bool trusted = std::find(errors.begin(), errors.end(),
                                   X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) == errors.end() &&
                         !untrusted;
    probe.add("tls.cert.self_signed", trusted ? Severity::low : Severity::high,
              trusted ? "the certificate is self-signed (trusted only because --ca names it)"
                      : "the certificate is self-signed and not trusted by " + anchors,
              {{"subject", facts["cert_subject"]}, {"verify_errors", texts}});
  } else if (untrusted) {
    probe.add("tls.cert.untrusted", Severity::high,
              "the certificate chain does not verify against " + anchors + ": " + texts.front(),
              {{"issuer", facts["cert_issuer"]}, {"verify_errors", texts}});
  }

  // Host name or IP address.
  const bool ip = is_ip_literal(name);
  const bool matches = ip ? X509_check_ip_asc(leaf, name.c_str(), 0) == 1
                          : X509_check_host(leaf, name.c_str(), name.size(), 0, nullptr) == 1;
  if (!matches) {
    probe.add("tls.cert.hostname_mismatch", Severity::high,
              "the certificate is not valid for " + name,
              {{"name", name}, {"san", sans}, {"subject", facts["cert_subject"]}});
  }

  // Key strength.
  if (EVP_PKEY* key = X509_get0_pubkey(leaf)) {
    const int bits = EVP_PKEY_get_bits(key);
    const int type = EVP_PKEY_get_base_id(key);
    std::string kind = type == EVP_PKEY_RSA       ? "RSA"
                       : type == EVP_PKEY_EC      ? "EC"
                       : type == EVP_PKEY_DSA     ? "DSA"
                       : type == EVP_PKEY_ED25519 ? "Ed25519"
                       : type == EVP_PKEY_ED448   ? "Ed448"
                                                  : OBJ_nid2sn(type);
    facts["cert_key"] = kind + " " + std::to_string(bits);
    const bool weak = ((type == EVP_PKEY_RSA || type == EVP_PKEY_DSA) && bits < 2048) ||
                      (type == EVP_PKEY_EC && bits < 224);
    if (weak) {
      probe.add("tls.cert.weak_key", Severity::high,
                "the certificate's " + kind + " key has only " + std::to_string(bits) + " bits",
                {{"key", facts["cert_key"]}});
    }
  }

  // Signatures: the leaf's and any intermediate's (a root's own signature is not relied on).
  facts["cert_signature"] = OBJ_nid2ln(X509_get_signature_nid(leaf));
  for (std::size_t i = 0; i < chain.size(); ++i) {
    X509* cert = chain[i].get();
    if (i > 0 && X509_self_signed(cert, 0) == 1) continue;
    int digest_nid = NID_undef;
    int pkey_nid = NID_undef;
    if (OBJ_find_sigid_algs(X509_get_signature_nid(cert), &digest_nid, &pkey_nid) != 1) continue;
    if (weak_digest(digest_nid)) {
      probe.add("tls.cert.weak_signature", Severity::medium,
                std::string(i == 0 ? "the certificate" : "an intermediate certificate") +
                    " is signed with " + OBJ_nid2sn(digest_nid),
                {{"subject", name_text(X509_get_subject_name(cert))},
                 {"algorithm", OBJ_nid2ln(X509_get_signature_nid(cert))}});
    }
  }

  if (!options.expect_fingerprint.empty()) {
    if (parse_fingerprint(options.expect_fingerprint) != digest) {
      probe.add("tls.cert.fingerprint_mismatch", Severity::critical,
                "the certificate's fingerprint is " + fingerprint_text(digest) +
                    ", not the expected " + options.expect_fingerprint,
                {{"expected", options.expect_fingerprint}, {"actual", fingerprint_text(digest)}});
    }
  }
}

// --- versions and cipher classes ------------------------------------------------------------

struct VersionSpec {
  int openssl;
  std::uint16_t wire;
  const char* name;
};
constexpr std::array<VersionSpec, 4> k_versions{{{TLS1_VERSION, hello::k_tls10, "TLSv1"},
                                                 {TLS1_1_VERSION, hello::k_tls11, "TLSv1.1"},
                                                 {TLS1_2_VERSION, hello::k_tls12, "TLSv1.2"},
                                                 {TLS1_3_VERSION, hello::k_tls13, "TLSv1.3"}}};

struct ClassSpec {
  unsigned mask;
  const char* id;
  Severity severity;
  const char* what;
};
constexpr std::array<ClassSpec, 8> k_classes{{
    {hello::k_null, "tls.cipher.null", Severity::critical, "cipher suites without encryption"},
    {hello::k_anon, "tls.cipher.anon", Severity::critical,
     "anonymous cipher suites (no server authentication)"},
    {hello::k_export, "tls.cipher.export", Severity::critical, "export-grade cipher suites"},
    {hello::k_rc4, "tls.cipher.rc4", Severity::high, "RC4 cipher suites"},
    {hello::k_des, "tls.cipher.des", Severity::high, "single-DES cipher suites"},
    {hello::k_3des, "tls.cipher.3des", Severity::medium, "3DES cipher suites (Sweet32)"},
    {hello::k_cbc_sha1, "tls.cipher.cbc_sha1", Severity::low, "CBC cipher suites with SHA-1 MACs"},
    {hello::k_no_fs, "tls.cipher.no_forward_secrecy", Severity::medium,
     "cipher suites without forward secrecy (static RSA or ECDH key exchange)"},
}};

std::uint16_t parse_min_version(const std::string& text) {
  if (text == "1.0") return hello::k_tls10;
  if (text == "1.1") return hello::k_tls11;
  if (text == "1.2") return hello::k_tls12;
  if (text == "1.3") return hello::k_tls13;
  fail(ErrorCode::usage, "unknown --min-version '" + text + "'", "use 1.0, 1.1, 1.2 or 1.3");
}

std::string error_id(net::Failure failure) {
  switch (failure) {
    case net::Failure::unresolved:
      return "tls.connect.unresolved";
    case net::Failure::refused:
      return "tls.connect.refused";
    case net::Failure::timeout:
      return "tls.connect.timeout";
    default:
      return "tls.connect.failed";
  }
}

}  // namespace

Probe check_tls(const TlsOptions& options) {
  const auto started = Clock::now();
  Probe probe;
  probe.kind = "tls";
  probe.checked_at = util::format_time(util::now());
  const auto min_version = parse_min_version(options.min_version);
  if (options.warn_days < 0) fail(ErrorCode::usage, "--warn-days must not be negative");
  if (!options.expect_fingerprint.empty()) (void)parse_fingerprint(options.expect_fingerprint);
  if (!options.ca_file.empty()) {
    // Read it now: a typo in --ca is a usage error, not a finding about the server.
    std::unique_ptr<X509_STORE, X509StoreFree> store(X509_STORE_new());
    if (X509_STORE_load_file(store.get(), options.ca_file.c_str()) != 1) {
      ERR_clear_error();
      fail(ErrorCode::usage, "cannot read CA certificates from " + options.ca_file,
           "--ca takes a PEM file of trusted certificates");
    }
  }

  Target target;
  target.endpoint = net::parse_endpoint(options.target, starttls::default_port(options.starttls));
  target.starttls = options.starttls;
  target.timeout = options.timeout;
  target.sni = options.sni.empty() ? target.endpoint.host : options.sni;
  probe.target = target.endpoint.text();
  probe.facts["sni"] =
      is_ip_literal(target.sni) ? nlohmann::json(nullptr) : nlohmann::json(target.sni);
  if (options.starttls != starttls::Protocol::none) {
    probe.facts["starttls"] = starttls::protocol_name(options.starttls);
  }
  const auto finish = [&]() -> Probe {
    probe.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    probe.settle();
    return std::move(probe);
  };

  const auto resolved = net::resolve(target.endpoint, options.timeout);
  if (resolved.failure != net::Failure::none) {
    probe.set_error(error_id(resolved.failure), resolved.error);
    return finish();
  }
  target.address = resolved.addresses.front();
  probe.facts["address"] = target.address.text();

  // Every probe on its own connection, all at once: the wall time is that of the slowest
  // probe, not the sum. The certificate comes from a handshake that offers anonymous and NULL
  // suites last, so a server picks an authenticated one whenever it has one.
  const auto main_ctx =
      make_context(TLS1_VERSION, TLS1_3_VERSION, "ALL:COMPLEMENTOFALL:+aNULL:+eNULL:@SECLEVEL=0");
  std::vector<SslCtxPtr> version_ctx;
  version_ctx.reserve(k_versions.size());
  for (const auto& v : k_versions)
    version_ctx.push_back(make_context(v.openssl, v.openssl, "ALL:COMPLEMENTOFALL:@SECLEVEL=0"));

  Handshake main;
  std::array<Handshake, k_versions.size()> versions;
  RawAnswer sslv3;
  std::array<ClassScan, k_classes.size()> classes;
  starttls::Plaintext plaintext;
  bool plaintext_probed = false;
  bool deadline_met = true;
  {
    net::Watchdog watchdog;
    target.watchdog = &watchdog;
    std::vector<std::jthread> threads;
    const auto spawn = [&](auto body) {
      threads.emplace_back([&watchdog, body] {
        body();
        watchdog.finished();
      });
    };
    spawn([&] { main = handshake(target, main_ctx.get(), true); });
    for (std::size_t i = 0; i < k_versions.size(); ++i) {
      spawn([&, i] { versions[i] = handshake(target, version_ctx[i].get(), false); });
    }
    spawn([&] {
      std::vector<std::uint16_t> all;
      for (const auto& suite : hello::known_suites()) all.push_back(suite.id);
      sslv3 = raw_probe(target, hello::k_ssl3, all);
    });
    for (std::size_t i = 0; i < k_classes.size(); ++i) {
      spawn([&, i] { classes[i] = scan_class(target, k_classes[i].mask); });
    }
    if (options.starttls == starttls::Protocol::postgres) {
      plaintext_probed = true;
      spawn([&] {
        auto connection = net::connect(target.address, target.timeout);
        if (connection.failure == net::Failure::none) {
          const net::WatchdogRegistration registration(&watchdog, connection.socket.fd());
          plaintext = starttls::postgres_plaintext(connection.socket);
        }
      });
    }
    // Each probe bounds every step by the timeout; the watchdog bounds the whole, whatever a
    // server does.
    deadline_met = watchdog.wait(threads.size(), Clock::now() + k_deadline_steps * options.timeout);
    threads.clear();  // joins
  }
  if (!deadline_met) probe.facts["deadline_exceeded"] = true;

  if (!main.server.empty()) probe.facts["server"] = main.server;
  if (!main.connected) {
    probe.set_error(main.starttls_failed ? "tls.starttls.failed" : error_id(main.failure),
                    main.error);
    return finish();
  }

  if (plaintext_probed && plaintext.kind == starttls::Plaintext::Kind::accepted) {
    probe.add("tls.starttls.plaintext_accepted", Severity::high,
              "the PostgreSQL server also accepts sessions without TLS",
              {{"answer", plaintext.detail}});
  }
  if (plaintext_probed) {
    probe.facts["plaintext"] = plaintext.kind == starttls::Plaintext::Kind::accepted   ? "accepted"
                               : plaintext.kind == starttls::Plaintext::Kind::rejected ? "rejected"
                                                                                       : "unknown";
  }
  if (main.not_offered) {
    probe.add("tls.starttls.not_offered", Severity::critical,
              "the server does not offer TLS: " + main.error, {{"answer", main.error}});
    return finish();
  }

  // Versions offered.
  std::vector<std::string> offered;
  std::vector<std::uint16_t> offered_wire;
  if (sslv3.kind == RawAnswer::Kind::hello && sslv3.version == hello::k_ssl3) {
    offered.emplace_back("SSLv3");
    offered_wire.push_back(hello::k_ssl3);
  }
  for (std::size_t i = 0; i < k_versions.size(); ++i) {
    if (versions[i].ok) {
      offered.emplace_back(k_versions[i].name);
      offered_wire.push_back(k_versions[i].wire);
    }
  }
  bool any_class_answer = false;
  for (const auto& scan : classes) any_class_answer = any_class_answer || !scan.accepted.empty();

  if (!main.ok && offered.empty() && !any_class_answer) {
    // Nothing spoke TLS: a server that never answers, or answers with something else. Either
    // hello can be the one answered: a line-based server (HTTP) replies only once it has seen
    // a newline, which the random bytes of a ClientHello hold or not.
    const bool timed_out = main.timed_out;
    std::string message = main.error;
    if (!timed_out && (sslv3.kind == RawAnswer::Kind::malformed || main.not_tls_record)) {
      message = "the server at " + target.endpoint.text() + " does not speak TLS (" +
                (sslv3.kind == RawAnswer::Kind::malformed ? sslv3.detail
                                                          : "its answer is not a TLS record") +
                ")";
    }
    probe.set_error(timed_out ? "tls.handshake.timeout" : "tls.handshake.failed", message);
    return finish();
  }

  probe.facts["protocols"] = offered;
  if (main.ok) {
    probe.facts["protocol"] = main.version;
    probe.facts["cipher"] = main.cipher;
  } else {
    // Some probes got answers; say why the full handshake did not.
    probe.facts["handshake_error"] = main.error;
  }

  std::vector<std::string> legacy;
  std::vector<std::string> below;
  for (std::size_t i = 0; i < offered_wire.size(); ++i) {
    const auto v = offered_wire[i];
    if (v == hello::k_ssl3) continue;
    if (v < min_version && v < hello::k_tls12) legacy.push_back(offered[i]);
    if (v < min_version && v >= hello::k_tls12) below.push_back(offered[i]);
  }
  if (std::find(offered_wire.begin(), offered_wire.end(), hello::k_ssl3) != offered_wire.end()) {
    probe.add("tls.protocol.sslv3", Severity::critical, "the server accepts SSL 3.0 (POODLE)",
              {{"version", "SSLv3"}, {"cipher", hello::suite_name(sslv3.cipher)}});
  }
  if (!legacy.empty()) {
    std::string list;
    for (const auto& v : legacy) list += (list.empty() ? "" : ", ") + v;
    probe.add("tls.protocol.legacy", Severity::high,
              "the server accepts legacy protocol versions: " + list, {{"versions", legacy}});
  }
  if (!below.empty()) {
    probe.add(
        "tls.protocol.below_minimum", Severity::medium,
        "the server accepts " + below.front() + ", below --min-version " + options.min_version,
        {{"versions", below}, {"min_version", options.min_version}});
  }
  if (versions[3].ok) {
    probe.add("tls.protocol.tls13", Severity::info, "the server offers TLS 1.3",
              {{"versions", offered}});
  } else {
    probe.add("tls.protocol.no_tls13", Severity::low, "the server does not offer TLS 1.3",
              {{"versions", offered}});
  }

  // Weak cipher classes.
  for (std::size_t i = 0; i < k_classes.size(); ++i) {
    const auto& scan = classes[i];
    if (scan.accepted.empty()) continue;
    std::vector<std::string> names;
    for (const auto id : scan.accepted) names.push_back(hello::suite_name(id));
    probe.add(k_classes[i].id, k_classes[i].severity,
              std::string("the server accepts ") + k_classes[i].what + ": " + names.front() +
                  (names.size() > 1 ? " and " + std::to_string(names.size() - 1) + " more" : ""),
              {{"suites", names}, {"version", hello::version_name(scan.version)}});
  }

  if (main.ok && !main.chain.empty()) {
    judge_certificate(probe, main.chain, options, target.sni);
  } else if (main.ok) {
    probe.add("tls.cert.missing", Severity::high, "the server sent no certificate");
  }
  return finish();
}

}  // namespace ward::check
