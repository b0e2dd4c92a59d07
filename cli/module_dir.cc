// A directory's .proto files as a FileSet, for push, lock, compile and the schema checks, with the
// subdirectories that belong to other modules set apart.
#include "module_dir.h"

#include <algorithm>
#include <filesystem>

#include "spoke/files.h"
#include "spoke/lockfile.h"
#include "spoke/module_config.h"
#include "spoke/names.h"

namespace spoke::cli {

namespace fs = std::filesystem;

namespace {

// The marker that makes `path` (a directory) another module's root, or nullptr.
const char* NestedModuleMarker(const fs::path& path) {
  std::error_code ec;
  for (const char* marker : {kModuleConfigFile, kLockFile}) {
    if (fs::exists(path / marker, ec)) return marker;
  }
  return nullptr;
}

bool IsUnder(const std::string& path, const std::string& dir) {
  return !dir.empty() && path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

std::string NoOwnFilesMessage(const std::string& dir, const std::vector<NestedModuleDir>& skipped) {
  std::string message = "no .proto files found in " + dir;
  if (skipped.empty()) return message;
  message += " outside the directories that hold their own module (";
  for (size_t i = 0; i < skipped.size(); ++i) {
    if (i > 0) message += ", ";
    message += skipped[i].path + ": " + skipped[i].marker;
  }
  return message + "); give one of them as -dir, or push them all with spoke batch-push";
}

}  // namespace

std::string DescribeSkipped(const std::string& dir, const NestedModuleDir& skipped) {
  std::string shown = (fs::path(dir) / skipped.path).lexically_normal().generic_string();
  return "skipping " + shown + ": it holds its own " + skipped.marker;
}

Result<ModuleDirListing> ListModuleDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::InvalidArgument(dir + " is not a directory");
  ModuleDirListing listing;
  // The iterator walks depth first, so everything below a skipped directory comes right after it.
  std::string inside_skipped;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) return Status::IOError("cannot read " + dir + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::IOError("cannot read " + dir + ": " + ec.message());
    const fs::path& path = it->path();
    std::string name = path.filename().string();
    if (it->is_symlink(ec)) continue;
    // Lexical: the iterator builds each path from `dir`, and fs::relative would resolve both to
    // canonical form with a readlink per component of every file (a third of a cache hit).
    std::string relative = path.lexically_relative(dir).generic_string();
    const bool nested = IsUnder(relative, inside_skipped);
    if (it->is_directory(ec)) {
      if (!name.empty() && name[0] == '.') {
        it.disable_recursion_pending();
      } else if (!nested) {
        if (const char* marker = NestedModuleMarker(path)) {
          inside_skipped = relative;
          listing.skipped.push_back({relative, marker});
        }
      }
      continue;
    }
    if (!it->is_regular_file(ec) || path.extension() != ".proto") continue;
    if (nested) {
      // Only ever imported from: a path no module could hold could not be imported either.
      if (ValidateProtoPath(relative).ok())
        listing.nested.emplace(std::move(relative), path.string());
      continue;
    }
    SPOKE_RETURN_IF_ERROR(ValidateProtoPath(relative));
    listing.own.emplace(std::move(relative), path.string());
  }
  std::sort(listing.skipped.begin(), listing.skipped.end(),
            [](const NestedModuleDir& a, const NestedModuleDir& b) { return a.path < b.path; });
  if (listing.own.empty()) return Status::InvalidArgument(NoOwnFilesMessage(dir, listing.skipped));
  return listing;
}

namespace {

Status ReadEach(const std::map<std::string, std::string>& paths, FileSet* files) {
  for (const auto& [relative, path] : paths) {
    SPOKE_ASSIGN_OR_RETURN(std::string content, ReadFileToString(path));
    // Refused here, before anything is sent or compiled, with the file's own path.
    SPOKE_RETURN_IF_ERROR(ValidateProtoText(path, content));
    files->emplace(relative, std::move(content));
  }
  return Status::Ok();
}

}  // namespace

Result<ModuleDirFiles> ReadModuleDir(const std::string& dir) {
  SPOKE_ASSIGN_OR_RETURN(ModuleDirListing listing, ListModuleDir(dir));
  ModuleDirFiles files;
  SPOKE_RETURN_IF_ERROR(ReadEach(listing.own, &files.own));
  SPOKE_RETURN_IF_ERROR(ReadEach(listing.nested, &files.nested));
  files.skipped = std::move(listing.skipped);
  return files;
}

}  // namespace spoke::cli
