// Known answers for the SigV4 signer. s3rver does not check signatures, so these vectors are
// what the signer's correctness rests on.
#include <catch2/catch.hpp>

#include "ward/store/sigv4.hpp"

namespace sigv4 = ward::store::sigv4;

namespace {

constexpr const char* k_empty_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

sigv4::Credentials s3_example_credentials() {
  return {"AKIAIOSFODNN7EXAMPLE",
          ward::crypto::SecretBytes::from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), ""};
}

sigv4::Credentials suite_credentials() {
  return {"AKIDEXAMPLE",
          ward::crypto::SecretBytes::from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), ""};
}

}  // namespace

// Source: Amazon S3 API Reference, "Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk (AWS Signature Version 4)", examples "GET Object",
// "PUT Object", "GET Bucket Lifecycle" and "Get Bucket (List Objects)": bucket examplebucket,
// access key AKIAIOSFODNN7EXAMPLE, time 20130524T000000Z, region us-east-1.
TEST_CASE("sigv4 reproduces the S3 documentation's GET Object example") {
  sigv4::Request request{"GET",
                         "/test.txt",
                         {},
                         {{"Host", "examplebucket.s3.amazonaws.com"},
                          {"Range", "bytes=0-9"},
                          {"x-amz-content-sha256", k_empty_sha256},
                          {"x-amz-date", "20130524T000000Z"}},
                         k_empty_sha256};
  const auto signed_request =
      sigv4::sign(request, s3_example_credentials(), "us-east-1", "s3", "20130524T000000Z");
  CHECK(signed_request.canonical_request ==
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(signed_request.string_to_sign ==
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  CHECK(signed_request.signature ==
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  CHECK(signed_request.authorization ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("sigv4 reproduces the S3 documentation's PUT Object example") {
  const std::string body = "Welcome to Amazon S3.";
  const auto payload = sigv4::sha256_hex(body);
  REQUIRE(payload == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  sigv4::Request request{"PUT",
                         "/test$file.text",
                         {},
                         {{"Host", "examplebucket.s3.amazonaws.com"},
                          {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                          {"x-amz-date", "20130524T000000Z"},
                          {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                          {"x-amz-content-sha256", payload}},
                         payload};
  const auto signed_request =
      sigv4::sign(request, s3_example_credentials(), "us-east-1", "s3", "20130524T000000Z");
  CHECK(signed_request.canonical_request.substr(0, 26) == "PUT\n/test%24file.text\n\ndat");
  CHECK(signed_request.string_to_sign ==
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  CHECK(signed_request.signed_headers ==
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  CHECK(signed_request.signature ==
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("sigv4 reproduces the S3 documentation's GET Bucket Lifecycle example") {
  sigv4::Request request{"GET",
                         "/",
                         {{"lifecycle", ""}},
                         {{"Host", "examplebucket.s3.amazonaws.com"},
                          {"x-amz-date", "20130524T000000Z"},
                          {"x-amz-content-sha256", k_empty_sha256}},
                         k_empty_sha256};
  const auto signed_request =
      sigv4::sign(request, s3_example_credentials(), "us-east-1", "s3", "20130524T000000Z");
  CHECK(signed_request.canonical_request.substr(0, 17) == "GET\n/\nlifecycle=\n");
  CHECK(signed_request.signature ==
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST_CASE("sigv4 reproduces the S3 documentation's Get Bucket (List Objects) example") {
  // The query is given out of order: the signer sorts it.
  sigv4::Request request{"GET",
                         "/",
                         {{"prefix", "J"}, {"max-keys", "2"}},
                         {{"Host", "examplebucket.s3.amazonaws.com"},
                          {"x-amz-date", "20130524T000000Z"},
                          {"x-amz-content-sha256", k_empty_sha256}},
                         k_empty_sha256};
  const auto signed_request =
      sigv4::sign(request, s3_example_credentials(), "us-east-1", "s3", "20130524T000000Z");
  CHECK(signed_request.canonical_request.substr(0, 27) == "GET\n/\nmax-keys=2&prefix=J\nh");
  CHECK(signed_request.signature ==
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// Source: AWS Signature Version 4 test suite (aws-sig-v4-test-suite, formerly in the AWS
// General Reference): access key AKIDEXAMPLE, time 20150830T123600Z, region us-east-1,
// service "service"; cases get-vanilla, get-vanilla-query-order-key-case, get-utf8,
// post-vanilla (expected Authorization values as published).
TEST_CASE("sigv4 passes the aws-sig-v4-test-suite vanilla cases") {
  struct Case {
    const char* name;
    const char* method;
    const char* path;
    sigv4::Pairs query;
    sigv4::Pairs extra_headers;
    const char* authorization;
  };
  const std::vector<Case> cases = {
      {"get-vanilla",
       "GET",
       "/",
       {},
       {},
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key-case",
       "GET",
       "/",
       {{"Param2", "value2"}, {"Param1", "value1"}},
       {},
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-utf8",
       "GET",
       "/\xE1\x88\xB4",
       {},
       {},
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"post-vanilla",
       "POST",
       "/",
       {},
       {},
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    sigv4::Pairs headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    headers.insert(headers.end(), c.extra_headers.begin(), c.extra_headers.end());
    const sigv4::Request request{c.method, c.path, c.query, headers, k_empty_sha256};
    CHECK(sigv4::sign(request, suite_credentials(), "us-east-1", "service", "20150830T123600Z")
              .authorization == c.authorization);
  }
}

TEST_CASE("sigv4 encodes paths and query parts as AWS specifies") {
  CHECK(sigv4::uri_encode("a b/c~d", true) == "a%20b/c~d");
  CHECK(sigv4::uri_encode("a b/c", false) == "a%20b%2Fc");
  CHECK(sigv4::uri_encode("=&+*", false) == "%3D%26%2B%2A");
  CHECK(sigv4::canonical_query({{"b", "2"}, {"a", "x y"}, {"a", "1"}}) == "a=1&a=x%20y&b=2");
  CHECK(sigv4::amz_date(std::chrono::system_clock::from_time_t(1369353600)) == "20130524T000000Z");
}
