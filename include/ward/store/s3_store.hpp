#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "ward/store/object_store.hpp"

namespace ward::store {

// Where an s3:// URL points: `s3://bucket/prefix?endpoint=URL&region=R&addressing=path|virtual`.
struct S3Location {
  std::string bucket;
  std::string prefix;  // "" or ending in '/'
  std::string scheme;  // "https" or "http" (loopback only)
  std::string host;    // endpoint host, without the bucket
  int port = 0;        // 0: the scheme's default
  std::string region = "us-east-1";
  bool path_style = true;  // false: virtual-hosted (bucket.host)
  bool loopback = false;
  // Objects larger than this go up as multipart uploads, in parts of part_size, several at
  // once (`multipart_threshold=` and `part_size=` in the URL; S3 allows 5 MiB to 5 GiB).
  std::size_t multipart_threshold = std::size_t{64} << 20;
  std::size_t part_size = std::size_t{16} << 20;
};

// Parses and checks an s3:// URL; throws Error(usage) when it is malformed, names an unknown
// parameter, or asks for plain http:// to a host that is not a loopback address.
S3Location parse_s3_url(const std::string& url);

// An S3-compatible bucket (AWS S3, MinIO, Ceph RGW, s3rver) through libcurl with SigV4
// signing. Credentials come from `options.s3_credentials` (a stored ward credential) or else
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; an https endpoint is verified
// against `options.s3_ca_file` or the system's CAs. Opening the store finds out whether the server
// honours `If-None-Match: *` (from how an existing store's config object is named, or by writing a
// probe object twice); atomic_put_if_absent() reports it, and the registry puts the
// suffix-and-rule protocol on top where it does not.
std::unique_ptr<ObjectStore> make_s3_store(const std::string& url, const StoreOptions& options);

}  // namespace ward::store
