#include "ward/store/object_store.hpp"

#include "ward/error.hpp"

namespace ward::store {

std::vector<bool> ObjectStore::put_batch(const std::vector<PutRequest>& requests) {
  std::vector<bool> written;
  written.reserve(requests.size());
  for (const auto& request : requests) written.push_back(put_if_absent(request.name, request.data));
  return written;
}

std::vector<std::string> ObjectStore::list_starting_with(const std::string& stem) {
  const auto slash = stem.rfind('/');
  auto names = list(slash == std::string::npos ? std::string() : stem.substr(0, slash + 1));
  std::erase_if(names, [&](const std::string& name) { return !name.starts_with(stem); });
  return names;
}

void ObjectStore::remove_batch(const std::vector<std::string>& names) {
  for (const auto& name : names) remove(name);
}

void validate_object_name(const std::string& name) {
  const auto bad = [&](const char* why) {
    fail(ErrorCode::internal, "invalid object name '" + name + "': " + why);
  };
  if (name.empty()) bad("empty");
  if (name.front() == '/' || name.back() == '/') bad("leading or trailing '/'");
  if (name.find('\0') != std::string::npos) bad("NUL byte");
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto end = std::min(name.find('/', start), name.size());
    const auto segment = std::string_view(name).substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") bad("empty or dot segment");
    if (segment.front() == '.') bad("hidden segment");
    start = end + 1;
  }
}

}  // namespace ward::store
