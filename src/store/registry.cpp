// The one list of store backends. Adding a backend is one file under src/store/<scheme>/ and
// one line here.
#include "ward/error.hpp"
#include "ward/store/file_store.hpp"
#include "ward/store/object_store.hpp"
#include "ward/store/s3_store.hpp"
#include "ward/store/sftp_store.hpp"
#include "ward/store/suffix_put_store.hpp"

namespace ward::store {

namespace {

std::unique_ptr<ObjectStore> open_backend(const std::string& url, const StoreOptions& options);

}  // namespace

std::unique_ptr<ObjectStore> open_object_store(const std::string& url,
                                               const StoreOptions& options) {
  auto backend = open_backend(url, options);
  // A backend that cannot put-if-absent gets the suffix-and-rule protocol of DESIGN.md.
  if (!backend->atomic_put_if_absent()) return make_suffix_put_store(std::move(backend));
  return backend;
}

namespace {

std::unique_ptr<ObjectStore> open_backend(const std::string& url, const StoreOptions& options) {
  constexpr std::string_view file_scheme = "file://";
  if (url.starts_with(file_scheme)) {
    const auto path = url.substr(file_scheme.size());
    if (path.empty() || path.front() != '/') {
      fail(ErrorCode::usage, "invalid store URL '" + url + "': a file URL needs an absolute path",
           "write it as file:///absolute/path");
    }
    return make_file_store(path);
  }
  if (url.find("://") == std::string::npos) {
    if (url.empty()) fail(ErrorCode::usage, "empty store URL");
    return make_file_store(std::filesystem::absolute(url));
  }
  const auto scheme = url.substr(0, url.find("://"));
  if (scheme == "s3") return make_s3_store(url, options);
  if (scheme == "sftp") return make_sftp_store(url, options);
  fail(ErrorCode::usage, "unknown store URL scheme '" + scheme + "'",
       "supported: file:///path, sftp://user@host[:port]/path, "
       "s3://bucket/prefix?endpoint=…&region=…");
}

}  // namespace

}  // namespace ward::store
