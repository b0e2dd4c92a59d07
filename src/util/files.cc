// File helpers with errors as values; the CLI and the store's local config use them.
#include "util/files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace spoke {

Result<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Status::IOError("error reading " + path);
  return buffer.str();
}

Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  std::error_code ec;
  std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) return Status::IOError("cannot create directory for " + path + ": " + ec.message());
  std::string temp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IOError("cannot write " + temp + ": " + std::strerror(errno));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) return Status::IOError("error writing " + temp);
  }
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    std::filesystem::remove(temp);
    return Status::IOError("cannot rename " + temp + " to " + path + ": " + ec.message());
  }
  return Status::Ok();
}

Status WriteFileInPlace(const std::string& path, std::string_view contents) {
  FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  size_t written = std::fwrite(contents.data(), 1, contents.size(), out);
  bool closed = std::fclose(out) == 0;
  if (written != contents.size() || !closed) return Status::IOError("error writing " + path);
  return Status::Ok();
}

}  // namespace spoke
