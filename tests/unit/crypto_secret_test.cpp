#include <sys/prctl.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "ward/crypto/secret.hpp"

namespace wc = ward::crypto;

TEST_CASE("SecretBytes copies its input and compares in constant time") {
  const char raw[] = {'k', 'e', 'y', '\0', '!'};
  const wc::SecretBytes a(raw, sizeof(raw));
  REQUIRE(a.size() == 5);
  REQUIRE(a.reveal() == std::string_view(raw, 5));

  const auto b = a.clone();
  REQUIRE(b.data() != a.data());
  REQUIRE(a.equals(b));
  REQUIRE_FALSE(a.equals(wc::SecretBytes::from("key")));
  REQUIRE_FALSE(a.equals(wc::SecretBytes(raw, 4)));
  REQUIRE_FALSE(wc::SecretBytes::from("abc").equals(wc::SecretBytes::from("abd")));
  REQUIRE(wc::SecretBytes().equals(wc::SecretBytes::from("")));
  REQUIRE(wc::SecretBytes(3).equals(wc::SecretBytes(std::string(3, '\0').data(), 3)));
}

TEST_CASE("SecretBytes moves, grows and appends") {
  auto a = wc::SecretBytes::from("abc");
  a.append(std::string_view("def"));
  a.append(std::string(1000, 'x'));
  REQUIRE(a.size() == 1006);
  REQUIRE(a.reveal().substr(0, 7) == "abcdefx");
  wc::SecretBytes b = std::move(a);
  REQUIRE(b.size() == 1006);
  b.resize(2);
  REQUIRE(b.reveal() == "ab");
}

TEST_CASE("secure_allocate returns zeroed, usable memory") {
  auto* p = static_cast<unsigned char*>(wc::secure_allocate(4096));
  REQUIRE(p != nullptr);
  for (std::size_t i = 0; i < 4096; ++i) REQUIRE(p[i] == 0);
  std::memset(p, 0x5a, 4096);
  wc::secure_deallocate(p, 4096);
  wc::secure_deallocate(nullptr, 10);  // a no-op, like free(nullptr)
  wc::secure_deallocate(wc::secure_allocate(0), 0);
}

TEST_CASE("harden_process disables core dumps") {
  wc::harden_process();
  REQUIRE(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0);
  struct rlimit limit {};
  REQUIRE(getrlimit(RLIMIT_CORE, &limit) == 0);
  REQUIRE(limit.rlim_cur == 0);
  REQUIRE(limit.rlim_max == 0);
}
