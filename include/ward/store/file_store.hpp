#pragma once

#include <filesystem>
#include <memory>

#include "ward/store/object_store.hpp"

namespace ward::store {

// The embedded default backend: one directory. Put-if-absent is a temp file, fsync, then
// renameat2(RENAME_NOREPLACE) (or link(2) where the filesystem lacks it) onto the final name,
// which fails with EEXIST instead of overwriting, then an fsync of the directory. Temp files live
// in `.tmp/` inside the root so link never crosses devices.
std::unique_ptr<ObjectStore> make_file_store(const std::filesystem::path& root);

}  // namespace ward::store
