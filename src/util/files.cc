// File helpers with errors as values; the CLI and the store's local config use them.
#include "util/files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "util/parallel.h"

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

Status WriteFilesUnder(const std::string& dir, const std::map<std::string, std::string>& files) {
  namespace fs = std::filesystem;
  std::set<fs::path> dirs;
  std::vector<std::pair<std::string, std::string_view>> jobs;
  jobs.reserve(files.size());
  for (const auto& [path, content] : files) {
    fs::path target = fs::path(dir) / path;
    dirs.insert(target.parent_path());
    jobs.emplace_back(target.string(), content);
  }
  for (const auto& d : dirs) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) return Status::IOError("cannot create " + d.string() + ": " + ec.message());
  }
  unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
  if (jobs.size() < 64) threads = 1;
  return RunInParallel(threads, [&](unsigned part) -> Status {
    size_t begin = jobs.size() * part / threads, end = jobs.size() * (part + 1) / threads;
    for (size_t i = begin; i < end; ++i) SPOKE_RETURN_IF_ERROR(WriteFileInPlace(jobs[i].first, jobs[i].second));
    return Status::Ok();
  });
}

}  // namespace spoke
