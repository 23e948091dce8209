#include "ward/backup/diff.hpp"

namespace ward::backup {

DiffReport diff_snapshots(Repository& repository, const std::string& from, const std::string& to) {
  DiffReport report;
  const auto all = repository.snapshots();
  report.from = Repository::resolve(from, all);
  report.to = Repository::resolve(to, all);
  repository.load_index();
  const auto a = repository.load_tree(report.from);
  const auto b = repository.load_tree(report.to);
  std::size_t i = 0;
  std::size_t j = 0;
  const auto add = [&](Change change, const std::string& path) {
    report.changes.push_back({change, path});
    switch (change) {
      case Change::added:
        ++report.added;
        break;
      case Change::removed:
        ++report.removed;
        break;
      case Change::metadata:
        ++report.metadata;
        break;
      default:
        ++report.modified;
        break;
    }
  };
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].path < b[j].path)) {
      add(Change::removed, a[i++].path);
    } else if (i == a.size() || b[j].path < a[i].path) {
      add(Change::added, b[j++].path);
    } else {
      const auto& x = a[i++];
      const auto& y = b[j++];
      if (x.type != y.type) {
        add(Change::type, y.path);
      } else if (x.chunks != y.chunks || x.size != y.size || x.link_target != y.link_target) {
        add(Change::modified, y.path);
      } else if (x.mode != y.mode || x.uid != y.uid || x.gid != y.gid ||
                 x.mtime_sec != y.mtime_sec || x.mtime_nsec != y.mtime_nsec) {
        add(Change::metadata, y.path);
      }
    }
  }
  return report;
}

}  // namespace ward::backup
