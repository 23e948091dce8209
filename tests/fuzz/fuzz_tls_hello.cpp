// The TLS server's first flight as ward's hand-built ClientHello probe reads it
// (src/check/tls_hello.cpp). Documented never to throw and never to read beyond its input.
#include <cstdint>
#include <span>

#include "ward/check/tls_hello.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace hello = ward::check::hello;
  const auto reply = hello::parse_server_reply(std::span<const std::uint8_t>(data, size));
  if (reply.kind == hello::ServerReply::Kind::server_hello) {
    (void)hello::suite_name(reply.cipher);
    (void)hello::version_name(reply.version);
  }
  if (reply.kind == hello::ServerReply::Kind::alert)
    (void)hello::alert_name(reply.alert_description);
  // A prefix of a complete reply must never be judged complete differently: it is either
  // incomplete or the same verdict (a server may split its flight anywhere).
  if (size > 1 && reply.kind != hello::ServerReply::Kind::malformed) {
    const auto prefix = hello::parse_server_reply(std::span<const std::uint8_t>(data, size - 1));
    if (prefix.kind != hello::ServerReply::Kind::incomplete && prefix.kind != reply.kind &&
        prefix.kind != hello::ServerReply::Kind::malformed)
      __builtin_trap();
  }
  return 0;
}
