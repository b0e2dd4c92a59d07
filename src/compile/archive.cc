// Deterministic zip and tar.gz archives through libarchive, written into a string.
#include "spoke/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace spoke {
namespace {

constexpr time_t kFixedTime = 315532800;  // 1980-01-01T00:00:00Z

la_ssize_t AppendToString(struct archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

}  // namespace

Result<ArchiveFormat> ParseArchiveFormat(const std::string& name) {
  if (name.empty() || name == "zip") return ArchiveFormat::kZip;
  if (name == "tar.gz" || name == "tgz") return ArchiveFormat::kTarGz;
  return Status::InvalidArgument("unknown archive format \"" + name + "\" (use zip or tar.gz)");
}

const char* ArchiveContentType(ArchiveFormat format) {
  return format == ArchiveFormat::kZip ? "application/zip" : "application/gzip";
}

const char* ArchiveExtension(ArchiveFormat format) {
  return format == ArchiveFormat::kZip ? "zip" : "tar.gz";
}

Result<std::string> MakeArchive(const std::map<std::string, std::string>& files,
                                ArchiveFormat format) {
  std::unique_ptr<struct archive, int (*)(struct archive*)> writer(archive_write_new(),
                                                                   archive_write_free);
  if (!writer) return Status::Internal("libarchive: out of memory");
  struct archive* a = writer.get();
  int rc = format == ArchiveFormat::kZip ? archive_write_set_format_zip(a)
                                         : archive_write_set_format_pax_restricted(a);
  if (rc == ARCHIVE_OK && format == ArchiveFormat::kTarGz) {
    rc = archive_write_add_filter_gzip(a);
    // No name or time in the gzip header, so the bytes depend on the files alone.
    if (rc == ARCHIVE_OK) rc = archive_write_set_filter_option(a, "gzip", "timestamp", nullptr);
  }
  if (rc != ARCHIVE_OK)
    return Status::Internal(std::string("libarchive: ") + archive_error_string(a));
  // No padding to libarchive's default 10 KiB blocks: the archive ends where its data ends.
  archive_write_set_bytes_in_last_block(a, 1);
  std::string out;
  if (archive_write_open(a, &out, nullptr, AppendToString, nullptr) != ARCHIVE_OK) {
    return Status::Internal(std::string("libarchive: ") + archive_error_string(a));
  }
  for (const auto& [path, content] : files) {
    std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> entry(
        archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), kFixedTime, 0);
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK ||
        archive_write_data(a, content.data(), content.size()) < 0) {
      return Status::Internal("libarchive: cannot add " + path + ": " + archive_error_string(a));
    }
  }
  if (archive_write_close(a) != ARCHIVE_OK) {
    return Status::Internal(std::string("libarchive: ") + archive_error_string(a));
  }
  return out;
}

}  // namespace spoke
