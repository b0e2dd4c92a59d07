// Archive reading for the download tests: libarchive in memory, stock unzip and tar on a file.
#include "archive_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "harness.h"

namespace spoke::e2e {

FileSet ReadArchive(const std::string& bytes) {
  FileSet files;
  std::unique_ptr<struct archive, int (*)(struct archive*)> reader(archive_read_new(),
                                                                   archive_read_free);
  struct archive* a = reader.get();
  archive_read_support_format_zip(a);
  archive_read_support_format_tar(a);
  archive_read_support_filter_gzip(a);
  if (archive_read_open_memory(a, bytes.data(), bytes.size()) != ARCHIVE_OK) {
    ADD_FAILURE() << "libarchive cannot open the archive: " << archive_error_string(a);
    return files;
  }
  struct archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(entry);
    if (archive_entry_filetype(entry) != AE_IFREG) {
      ADD_FAILURE() << "archive entry " << path << " is not a regular file";
      continue;
    }
    std::string content;
    char buf[65536];
    la_ssize_t got;
    while ((got = archive_read_data(a, buf, sizeof(buf))) > 0) {
      content.append(buf, static_cast<size_t>(got));
    }
    if (got < 0) {
      ADD_FAILURE() << "libarchive cannot read " << path << ": " << archive_error_string(a);
      return files;
    }
    if (!files.emplace(path, std::move(content)).second) {
      ADD_FAILURE() << "archive holds " << path << " twice";
    }
  }
  if (rc != ARCHIVE_EOF) {
    ADD_FAILURE() << "libarchive stopped before the end: " << archive_error_string(a);
  }
  return files;
}

std::vector<std::string> ListWithStockTool(const std::string& bytes, const std::string& path,
                                           bool zip) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.good()) {
      ADD_FAILURE() << "cannot write " << path;
      return {};
    }
  }
  if (zip) {
    CommandResult test = RunCommand({{"unzip", "-tq", path}, {}, ""});
    EXPECT_EQ(test.exit_code, 0) << "unzip -tq " << path << "\n" << test.Describe();
  }
  CommandResult list = zip ? RunCommand({{"unzip", "-Z1", path}, {}, ""})
                           : RunCommand({{"tar", "tzf", path}, {}, ""});
  EXPECT_EQ(list.exit_code, 0) << "listing " << path << "\n" << list.Describe();
  std::vector<std::string> names;
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

}  // namespace spoke::e2e
