#include "ward/store/object_store.hpp"

#include "ward/error.hpp"

namespace ward::store {

std::vector<bool> ObjectStore::put_batch(const std::vector<PutRequest>& requests) {
  std::vector<bool> written;
  written.reserve(requests.size());
  for (const auto& request : requests) written.push_back(put_if_absent(request.name, request.data));
  return written;
}

std::vector<ObjectStore::GetResult> ObjectStore::get_batch(const std::vector<std::string>& names) {
  std::vector<GetResult> out(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    try {
      out[i].bytes = get(names[i]);
    } catch (const Error& e) {
      // A damaged object is this object's result; an unreachable store ends the batch.
      if (e.code() != ErrorCode::auth) throw;
      out[i].error = e;
    }
  }
  return out;
}

std::vector<std::string> ObjectStore::list_starting_with(const std::string& stem) {
  const auto slash = stem.rfind('/');
  auto names = list(slash == std::string::npos ? std::string() : stem.substr(0, slash + 1));
  std::erase_if(names, [&](const std::string& name) { return !name.starts_with(stem); });
  return names;
}

std::vector<ObjectStore::ListEntry> ObjectStore::list_entries_starting_with(
    const std::string& stem) {
  std::vector<ListEntry> entries;
  for (auto& name : list_starting_with(stem)) entries.push_back({std::move(name), {}, {}});
  return entries;
}

std::vector<ObjectStore::ListEntry> ObjectStore::list_entries_between(const std::string& stem,
                                                                      const std::string& after,
                                                                      const std::string& before,
                                                                      std::size_t /*expected*/) {
  auto entries = list_entries_starting_with(stem);
  std::erase_if(entries, [&](const ListEntry& entry) {
    return (!after.empty() && entry.name <= after) || (!before.empty() && entry.name >= before);
  });
  return entries;
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
