// The one list of store backends. Adding a backend is one file under src/store/<scheme>/ and
// one line here.
#include "ward/error.hpp"
#include "ward/store/file_store.hpp"
#include "ward/store/object_store.hpp"
#include "ward/store/s3_store.hpp"
#include "ward/store/suffix_put_store.hpp"

namespace ward::store {

namespace {

std::unique_ptr<ObjectStore> open_backend(const std::string& url);

}  // namespace

std::unique_ptr<ObjectStore> open_object_store(const std::string& url) {
  auto backend = open_backend(url);
  // A backend that cannot put-if-absent gets the suffix-and-rule protocol of DESIGN.md.
  if (!backend->atomic_put_if_absent()) return make_suffix_put_store(std::move(backend));
  return backend;
}

namespace {

std::unique_ptr<ObjectStore> open_backend(const std::string& url) {
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
  if (scheme == "s3") return make_s3_store(url);
  if (scheme == "sftp") {
    fail(ErrorCode::usage, "store backend '" + scheme + "' is not available in this build",
         "use a local store: file:///path");
  }
  fail(ErrorCode::usage, "unknown store URL scheme '" + scheme + "'",
       "supported: file:///path, s3://bucket/prefix?endpoint=…&region=… (sftp:// is planned)");
}

}  // namespace

}  // namespace ward::store
