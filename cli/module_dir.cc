// A directory's .proto files as a FileSet, for push and compile.
#include "module_dir.h"

#include <filesystem>

#include "spoke/names.h"
#include "util/files.h"

namespace spoke::cli {

namespace fs = std::filesystem;

Result<std::map<std::string, std::string>> ListModuleDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::InvalidArgument(dir + " is not a directory");
  std::map<std::string, std::string> files;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) return Status::IOError("cannot read " + dir + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::IOError("cannot read " + dir + ": " + ec.message());
    const fs::path& path = it->path();
    std::string name = path.filename().string();
    if (it->is_symlink(ec)) continue;
    if (it->is_directory(ec)) {
      if (!name.empty() && name[0] == '.') it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec) || path.extension() != ".proto") continue;
    // Lexical: the iterator builds each path from `dir`, and fs::relative would resolve both to
    // canonical form with a readlink per component of every file (a third of a cache hit).
    std::string relative = path.lexically_relative(dir).generic_string();
    SPOKE_RETURN_IF_ERROR(ValidateProtoPath(relative));
    files.emplace(std::move(relative), path.string());
  }
  if (files.empty()) return Status::InvalidArgument("no .proto files found in " + dir);
  return files;
}

Result<FileSet> ReadModuleDir(const std::string& dir) {
  SPOKE_ASSIGN_OR_RETURN(auto paths, ListModuleDir(dir));
  FileSet files;
  for (auto& [relative, path] : paths) {
    SPOKE_ASSIGN_OR_RETURN(std::string content, ReadFileToString(path));
    // Refused here, before anything is sent or compiled, with the file's own path.
    SPOKE_RETURN_IF_ERROR(ValidateProtoText(path, content));
    files.emplace(relative, std::move(content));
  }
  return files;
}

}  // namespace spoke::cli
