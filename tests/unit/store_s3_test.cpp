#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>

#include "store_conformance.hpp"
#include "test_support.hpp"
#include "ward/crypto/encoding.hpp"
#include "ward/crypto/random.hpp"
#include "ward/store/object_store.hpp"
#include "ward/store/s3_store.hpp"
#include "ward/store/s3_xml.hpp"

using ward::ErrorCode;
using ward::testing::error_code_of;

TEST_CASE("s3 URLs name bucket, prefix, endpoint, region and addressing") {
  auto aws = ward::store::parse_s3_url("s3://my-bucket/team/ward/?region=eu-west-1");
  CHECK(aws.bucket == "my-bucket");
  CHECK(aws.prefix == "team/ward/");
  CHECK(aws.scheme == "https");
  CHECK(aws.host == "s3.eu-west-1.amazonaws.com");
  CHECK(aws.region == "eu-west-1");
  CHECK_FALSE(aws.path_style);  // AWS: virtual-hosted by default

  auto local = ward::store::parse_s3_url("s3://b?endpoint=http://127.0.0.1:4569&region=us-east-1");
  CHECK(local.prefix.empty());
  CHECK(local.scheme == "http");
  CHECK(local.host == "127.0.0.1");
  CHECK(local.port == 4569);
  CHECK(local.path_style);  // other endpoints: path-style unless asked
  CHECK(local.loopback);

  auto minio = ward::store::parse_s3_url(
      "s3://b/p?endpoint=https%3A%2F%2Fminio.example.net%3A9000&addressing=virtual");
  CHECK(minio.host == "minio.example.net");
  CHECK(minio.port == 9000);
  CHECK_FALSE(minio.path_style);

  CHECK(ward::store::parse_s3_url("s3://b?endpoint=http://[::1]:9000").host == "[::1]");
  CHECK(ward::store::parse_s3_url("s3://b?endpoint=http://localhost:9000").loopback);

  CHECK(aws.multipart_threshold == 64UL << 20);
  CHECK(aws.part_size == 16UL << 20);
  const auto tuned = ward::store::parse_s3_url("s3://b?multipart_threshold=1GiB&part_size=5242880");
  CHECK(tuned.multipart_threshold == 1UL << 30);
  CHECK(tuned.part_size == 5UL << 20);
  CHECK(ward::store::parse_s3_url("s3://b?part_size=32M").part_size == 32UL << 20);
}

TEST_CASE("s3 URLs that are malformed or unsafe are usage errors") {
  for (const auto* url :
       {"s3://", "s3:///prefix", "s3://b?endpoint=ftp://x", "s3://b?endpoint=127.0.0.1:9000",
        "s3://b?endpoint=http://10.0.0.1:9000", "s3://b?endpoint=http://example.com",
        "s3://b?colour=blue", "s3://b?addressing=sideways", "s3://b/../x",
        "s3://b?endpoint=https://h/path", "s3://b?endpoint=https://h:99999", "s3://b c",
        "s3://b?part_size=4MiB", "s3://b?multipart_threshold=6GiB",
        "s3://b?part_size=", "s3://b?part_size=16MB", "s3://b?multipart_threshold=-64MiB",
        "s3://b?part_size=99999999999999MiB", "s3://b?part_size=999999999999GiB"}) {
    INFO(url);
    CHECK(error_code_of([&] { (void)ward::store::parse_s3_url(url); }) == ErrorCode::usage);
  }
}

TEST_CASE("the S3 XML reader finds keys, tokens and error codes") {
  const std::string listing =
      "<?xml version=\"1.0\"?><ListBucketResult><Contents><Key>a&amp;b</Key></Contents>"
      "<Contents><Key>c&#x2F;d&lt;</Key></Contents><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>tok+/=</NextContinuationToken></ListBucketResult>";
  CHECK(ward::store::s3xml::all_text(listing, "Key") == std::vector<std::string>{"a&b", "c/d<"});
  CHECK(ward::store::s3xml::first_text(listing, "IsTruncated") == "true");
  CHECK(ward::store::s3xml::first_text(listing, "NextContinuationToken") == "tok+/=");
  CHECK_FALSE(ward::store::s3xml::first_text(listing, "Code").has_value());
}

TEST_CASE("an s3 store without credentials is an authentication error") {
  // No network is needed to find out: the credentials are looked up first.
  const char* saved = std::getenv("AWS_ACCESS_KEY_ID");
  const std::string keep = saved != nullptr ? saved : "";
  ::unsetenv("AWS_ACCESS_KEY_ID");
  CHECK(error_code_of([] {
          (void)ward::store::open_object_store("s3://b?endpoint=http://127.0.0.1:1");
        }) == ErrorCode::auth);
  if (saved != nullptr) ::setenv("AWS_ACCESS_KEY_ID", keep.c_str(), 1);
}

// The tests below talk to real servers and are hidden from the default run: the integration
// script tests/integration/s3_backend.sh starts s3rver and the conditional-put stand-in on
// loopback, then runs them with `[s3]` and these variables set. Without them they fail.
namespace {

std::string env_or_fail(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    FAIL(std::string(name) + " is not set: run tests/integration/s3_backend.sh");
  }
  return value;
}

std::string fresh_url(const std::string& endpoint, const std::string& base = "") {
  return "s3://ward-test/" + base + "unit-" +
         ward::crypto::hex_encode(ward::crypto::random_bytes(6)) + "?endpoint=" + endpoint +
         "&region=us-east-1";
}

}  // namespace

TEST_CASE("s3 store on s3rver passes the conformance suite through the fallback", "[.s3][s3]") {
  const auto url = fresh_url(env_or_fail("WARD_TEST_S3_ENDPOINT"));
  auto store = ward::store::open_object_store(url);
  REQUIRE_FALSE(store->atomic_put_if_absent());  // s3rver ignores If-None-Match
  ward::testing::check_object_store_conformance(*store);
  // Reopened, the store knows its mode from the name of its config object.
  REQUIRE(store->put_if_absent("config", ward::testing::bytes_of("{}")));
  REQUIRE_FALSE(ward::store::open_object_store(url)->atomic_put_if_absent());
}

TEST_CASE("s3 store on a server that honours If-None-Match is atomic", "[.s3][s3]") {
  const auto url = fresh_url(env_or_fail("WARD_TEST_S3_STANDIN_ENDPOINT"));
  auto store = ward::store::open_object_store(url);
  REQUIRE(store->atomic_put_if_absent());
  ward::testing::check_object_store_conformance(*store);
  REQUIRE(store->put_if_absent("config", ward::testing::bytes_of("{}")));
  REQUIRE(ward::store::open_object_store(url)->atomic_put_if_absent());
}

TEST_CASE("s3 listings follow continuation tokens past 1,000 keys", "[.s3][s3]") {
  // s3rver, the stand-in, and the stand-in where it ignores start-after (as some servers do):
  // ranges then come from filtering what the listing returns.
  const auto standin = env_or_fail("WARD_TEST_S3_STANDIN_ENDPOINT");
  for (const auto& url : {fresh_url(env_or_fail("WARD_TEST_S3_ENDPOINT")), fresh_url(standin),
                          fresh_url(standin, "ignores-start-after/")}) {
    INFO(url);
    auto store = ward::store::make_s3_store(url, {});
    std::vector<ward::store::ObjectStore::PutRequest> batch;
    for (int i = 0; i < 1234; ++i) {
      batch.push_back({"many/" + std::to_string(100000 + i), ward::testing::bytes_of("v")});
    }
    const auto written = store->put_batch(batch);
    REQUIRE(std::count(written.begin(), written.end(), true) == 1234);
    const auto names = store->list("many/");
    REQUIRE(names.size() == 1234);
    REQUIRE(names.front() == "many/100000");
    REQUIRE(names.back() == "many/101233");
    REQUIRE(store->list("").size() == 1234);
    // A range that starts after a key and spans two pages, and one that stops early.
    const auto range = store->list_entries_between("many/", "many/100005", "many/101200");
    REQUIRE(range.size() == 1194);
    REQUIRE(range.front().name == "many/100006");
    REQUIRE(range.back().name == "many/101199");
    const auto head = store->list_entries_between("many/", "", "many/100010");
    REQUIRE(head.size() == 10);
    REQUIRE(head.back().name == "many/100009");
    // A first page sized for the range: smaller than it, or larger, the result is the same.
    for (const std::size_t expected : {1, 100, 2000}) {
      INFO(expected);
      const auto sized =
          store->list_entries_between("many/", "many/100005", "many/101200", expected);
      REQUIRE(sized.size() == 1194);
      REQUIRE(sized.front().name == "many/100006");
      REQUIRE(sized.back().name == "many/101199");
    }
    std::vector<std::string> all(names.begin(), names.end());
    store->remove_batch(all);
    REQUIRE(store->list("many/").empty());
  }
}

TEST_CASE("s3 store moves large objects as multipart uploads", "[.s3][s3]") {
  for (const auto* variable : {"WARD_TEST_S3_ENDPOINT", "WARD_TEST_S3_STANDIN_ENDPOINT"}) {
    INFO(variable);
    auto store = ward::store::make_s3_store(fresh_url(env_or_fail(variable)), {});
    ward::store::Bytes big(70UL * 1024 * 1024 + 123);
    std::mt19937 random(7);
    for (auto& byte : big) byte = static_cast<std::uint8_t>(random());
    REQUIRE(store->put_if_absent("big/object", big));
    // Every part's ETag (and, where the server answers one, the whole's "-N" ETag) matched
    // the MD5 of what ward sent.
    REQUIRE(store->confirms_writes());
    REQUIRE(store->get("big/object") == big);
    if (store->atomic_put_if_absent()) {
      REQUIRE_FALSE(store->put_if_absent("big/object", big));
    }
    store->remove("big/object");
    REQUIRE_FALSE(store->contains("big/object"));
  }
}
