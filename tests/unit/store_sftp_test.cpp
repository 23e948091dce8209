// The SFTP backend: URL parsing here; the conformance suite and reconnection against a real
// sshd in the hidden [.sshd] cases, run by tests/integration/store_sftp.sh.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "store_conformance.hpp"
#include "test_support.hpp"
#include "ward/store/sftp_store.hpp"

namespace {

using ward::ErrorCode;
using ward::store::parse_sftp_url;
using ward::testing::error_code_of;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0')
    FAIL(std::string(name) + " is not set: run store_sftp.sh");
  return value;
}

}  // namespace

TEST_CASE("sftp URLs: user, host, port, absolute and home-relative paths") {
  auto url = parse_sftp_url("sftp://alice@example.org:2222/srv/ward/");
  REQUIRE(url.user == "alice");
  REQUIRE(url.host == "example.org");
  REQUIRE(url.port == 2222);
  REQUIRE(url.path == "/srv/ward");

  url = parse_sftp_url("sftp://bob@[::1]/~/stores/main");
  REQUIRE(url.host == "::1");
  REQUIRE(url.port == 22);
  REQUIRE(url.path == "stores/main");
  REQUIRE(parse_sftp_url("sftp://bob@[::1]:2200/~").path == ".");
  REQUIRE(parse_sftp_url("sftp://host/x").user.empty() == false);  // the local user

  for (const auto* bad :
       {"sftp://alice@host", "sftp://alice:secret@host/x", "sftp://@host/x", "sftp://alice@/x",
        "sftp://alice@host:0/x", "sftp://alice@host:99999/x", "sftp://alice@host:22a/x",
        "sftp://alice@[::1/x", "sftp://alice@host/", "sftp://alice@host/a/../b"}) {
    INFO(bad);
    REQUIRE(error_code_of([&] { (void)parse_sftp_url(bad); }) == ErrorCode::usage);
  }
  // A password in the URL is refused without repeating it.
  try {
    (void)parse_sftp_url("sftp://alice:hunter2-secret@host/x");
    FAIL("no error");
  } catch (const ward::Error& e) {
    REQUIRE(std::string(e.what()).find("hunter2-secret") == std::string::npos);
  }
  REQUIRE(ward::store::open_object_store("sftp://a@h/x")->url() == "sftp://a@h/x");
}

namespace {

std::unique_ptr<ward::store::ObjectStore> open_test_store(const std::string& leaf) {
  ward::store::StoreOptions options;
  options.ssh_identity = env("SSHD_KEY");
  options.ssh_known_hosts = env("SSHD_KNOWN_HOSTS");
  options.timeout = std::chrono::seconds(10);
  std::random_device rd;
  const auto url = "sftp://" + env("SSHD_USER") + "@" + env("SSHD_HOST") + ":" + env("SSHD_PORT") +
                   env("SSHD_HOME") + "/" + leaf + "-" + std::to_string(rd());
  return ward::store::open_object_store(url, options);
}

// Cuts every TCP connection of this process to the test sshd, as a network failure would.
int cut_connections_to(std::uint16_t port) {
  int cut = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  while (const dirent* entry = ::readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    if (fd <= 2) continue;
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) continue;
    if (peer.ss_family == AF_INET &&
        ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port) == port) {
      ::shutdown(fd, SHUT_RDWR);
      ++cut;
    }
  }
  ::closedir(dir);
  return cut;
}

}  // namespace

TEST_CASE("sftp store passes the object store conformance suite", "[.sshd]") {
  auto store = open_test_store("conformance");
  REQUIRE(store->atomic_put_if_absent());
  ward::testing::check_object_store_conformance(*store);
}

TEST_CASE("sftp store reconnects once after a dropped connection", "[.sshd]") {
  auto store = open_test_store("reconnect");
  REQUIRE(store->create());
  REQUIRE(store->put_if_absent("x/one", ward::testing::bytes_of("1")));
  const auto port = static_cast<std::uint16_t>(std::stoi(env("SSHD_PORT")));
  REQUIRE(cut_connections_to(port) == 1);
  REQUIRE(store->get("x/one") == ward::testing::bytes_of("1"));  // reconnected
  REQUIRE(cut_connections_to(port) == 1);
  REQUIRE(store->put_if_absent("x/two", ward::testing::bytes_of("2")));
  REQUIRE(cut_connections_to(port) == 1);
  REQUIRE_FALSE(store->put_if_absent("x/two", ward::testing::bytes_of("other")));
  REQUIRE(cut_connections_to(port) == 1);
  REQUIRE(store->list("x/") == std::vector<std::string>{"x/one", "x/two"});
  REQUIRE(cut_connections_to(port) == 1);
  store->remove("x/one");
  REQUIRE_FALSE(store->contains("x/one"));
}

TEST_CASE("sftp store runs large batches on a few connections and survives losing them",
          "[.sshd]") {
  auto store = open_test_store("batch");
  REQUIRE(store->create());
  std::vector<ward::store::ObjectStore::PutRequest> requests;
  std::vector<std::string> names;
  for (int i = 0; i < 64; ++i) {
    requests.push_back({"b/" + std::to_string(i), ward::testing::bytes_of(std::to_string(i * i))});
    names.push_back(requests.back().name);
  }
  const auto written = store->put_batch(requests);
  REQUIRE(std::count(written.begin(), written.end(), true) == 64);
  // More than one connection served the batch, and no more than the pool's four.
  const auto port = static_cast<std::uint16_t>(std::stoi(env("SSHD_PORT")));
  const int cut = cut_connections_to(port);
  REQUIRE(cut >= 2);
  REQUIRE(cut <= 4);
  // Every connection was cut: each reconnects once, and the batch still reads everything.
  const auto read = store->get_batch(names);
  for (int i = 0; i < 64; ++i)
    REQUIRE(read[i].bytes == ward::testing::bytes_of(std::to_string(i * i)));
  REQUIRE_FALSE(store->put_batch(requests)[17]);  // put-if-absent holds on every connection
  REQUIRE(cut_connections_to(port) <= 4);         // the dead connections were let go
  store->remove_batch(names);
  REQUIRE(store->list("b/").empty());
}

TEST_CASE("sftp store removes only stale temporary files", "[.sshd]") {
  auto store = open_test_store("stale");
  REQUIRE(store->create());
  REQUIRE(store->put_if_absent("a", ward::testing::bytes_of("x")));
  // Nothing is left behind by a successful write.
  REQUIRE(store->remove_stale_temporaries(std::chrono::seconds(0)) == 0);
  REQUIRE(store->list("") == std::vector<std::string>{"a"});
  // The sshd runs on loopback, so its side of the store is a directory of this machine.
  const auto server_path = store->url().substr(store->url().find(env("SSHD_HOME")));
  ward::testing::check_stale_temporaries_removed(*store,
                                                 std::filesystem::path(server_path) / ".tmp");
  REQUIRE(store->list("") == std::vector<std::string>{"a"});
}

// Not a test: the figures tests/bench/store_sftp.sh prints for ward's side (hidden, never run
// by ctest). Writes like ward does, one put-if-absent (temp file, fsync, rename) per object.
TEST_CASE("sftp store benchmark", "[.bench_sftp]") {
  const auto small_count = std::stoul(env("WARD_BENCH_SMALL_COUNT"));
  const auto small_size = std::stoul(env("WARD_BENCH_SMALL_SIZE"));
  const auto large_size = std::stoul(env("WARD_BENCH_LARGE_MIB")) << 20U;
  auto store = open_test_store("bench");
  REQUIRE(store->create());
  std::mt19937_64 random(42);
  const auto fill = [&](std::size_t size) {
    ward::store::Bytes data(size);
    for (auto& byte : data) byte = static_cast<std::uint8_t>(random());
    return data;
  };
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  std::vector<ward::store::Bytes> small;
  for (std::size_t i = 0; i < small_count; ++i) small.push_back(fill(small_size));
  auto start = Clock::now();
  for (std::size_t i = 0; i < small_count; ++i) {
    REQUIRE(store->put_if_absent("small/" + std::to_string(i), small[i]));
  }
  const double put_small = seconds(start);
  start = Clock::now();
  for (std::size_t i = 0; i < small_count; ++i) {
    REQUIRE(store->get("small/" + std::to_string(i)) == small[i]);
  }
  const double get_small = seconds(start);
  // What store migrate, store verify and backups do: the same objects as batches.
  std::vector<ward::store::ObjectStore::PutRequest> requests;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < small_count; ++i) {
    requests.push_back({"batch/" + std::to_string(i), small[i]});
    names.push_back(requests.back().name);
  }
  start = Clock::now();
  const auto written = store->put_batch(requests);
  const double put_small_batch = seconds(start);
  REQUIRE(std::count(written.begin(), written.end(), true) ==
          static_cast<std::ptrdiff_t>(small_count));
  start = Clock::now();
  const auto read_back = store->get_batch(names);
  const double get_small_batch = seconds(start);
  for (std::size_t i = 0; i < small_count; ++i) REQUIRE(read_back[i].bytes == small[i]);
  auto large = fill(large_size);
  start = Clock::now();
  REQUIRE(store->put_if_absent("large", large));
  const double put_large = seconds(start);
  start = Clock::now();
  const auto back = store->get("large");
  const double get_large = seconds(start);
  REQUIRE(back == large);
  std::printf(
      "ward put_small %.3f get_small %.3f put_large %.3f get_large %.3f put_small_batch %.3f "
      "get_small_batch %.3f\n",
      put_small, get_small, put_large, get_large, put_small_batch, get_small_batch);
}
