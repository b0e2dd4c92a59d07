// Packs into pack_chunks from files, and back out to a sink, a chunk at a time.
#include "store/postgres_packs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/postgres_schema.h"

namespace spoke {
namespace {

using postgres::Param;

const char* PartName(PackPart part) { return part == PackPart::kPack ? "pack" : "idx"; }

// Reads up to `buffer.size()` bytes (fewer only at the end of the file); the count.
Result<size_t> ReadFull(int fd, std::string& buffer, const std::string& path) {
  size_t filled = 0;
  while (filled < buffer.size()) {
    ssize_t n = read(fd, buffer.data() + filled, buffer.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  return filled;
}

// Stores the file at `path` as `part` of pack `id`; its size.
Result<int64_t> StorePart(postgres::Connection& connection, int64_t id, PackPart part,
                          const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  std::string chunk(kPackChunkBytes, '\0');
  int64_t size = 0;
  Status status = Status::Ok();
  for (int64_t seq = 0; status.ok(); ++seq) {
    Result<size_t> n = ReadFull(fd, chunk, path);
    if (!n.ok()) {
      status = n.status();
      break;
    }
    if (*n == 0) break;
    status =
        connection
            .Execute("INSERT INTO pack_chunks (pack_id, part, seq, data) VALUES ($1, $2, $3, $4)",
                     {Param::Int64(id), Param::Text(PartName(part)), Param::Int64(seq),
                      Param::Bytes(std::string_view(chunk).substr(0, *n))})
            .status();
    size += static_cast<int64_t>(*n);
    if (*n < chunk.size()) break;
  }
  close(fd);
  if (!status.ok()) return status;
  return size;
}

Result<StoredPack> PackFromRow(const postgres::Rows& rows) {
  StoredPack pack;
  SPOKE_ASSIGN_OR_RETURN(pack.id, rows.Int64(0, 0));
  pack.name = std::string(rows.Bytes(0, 1));
  SPOKE_ASSIGN_OR_RETURN(pack.size, rows.Int64(0, 2));
  SPOKE_ASSIGN_OR_RETURN(pack.index_size, rows.Int64(0, 3));
  SPOKE_ASSIGN_OR_RETURN(pack.object_count, rows.Int64(0, 4));
  return pack;
}

}  // namespace

Result<StoredPack> StorePackFiles(postgres::Connection& connection, const std::string& name,
                                  int64_t object_count, const std::string& pack_path,
                                  const std::string& index_path) {
  // The sizes are filled in once the chunks are written: the files are read once, as they are.
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows row,
      connection.Execute("INSERT INTO packs (name, size, index_size, object_count)"
                         " VALUES ($1, 0, 0, $2) RETURNING id",
                         {Param::Text(name), Param::Int64(object_count)}));
  StoredPack pack;
  pack.name = name;
  pack.object_count = object_count;
  SPOKE_ASSIGN_OR_RETURN(pack.id, row.Int64(0, 0));
  SPOKE_ASSIGN_OR_RETURN(pack.size, StorePart(connection, pack.id, PackPart::kPack, pack_path));
  SPOKE_ASSIGN_OR_RETURN(pack.index_size,
                         StorePart(connection, pack.id, PackPart::kIndex, index_path));
  SPOKE_RETURN_IF_ERROR(
      connection
          .Execute("UPDATE packs SET size = $2, index_size = $3 WHERE id = $1",
                   {Param::Int64(pack.id), Param::Int64(pack.size), Param::Int64(pack.index_size)})
          .status());
  return pack;
}

Result<StoredPack> FindPack(postgres::Connection& connection, const std::string& name) {
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows rows,
      connection.Execute(
          "SELECT id, name, size, index_size, object_count FROM packs WHERE name = $1",
          {Param::Text(name)}));
  if (rows.size() == 0)
    return Status::NotFound("no pack " + name + " in " + connection.description());
  return PackFromRow(rows);
}

Status ReadPackPart(postgres::Connection& connection, const StoredPack& pack, PackPart part,
                    const std::function<Status(std::string_view)>& sink) {
  int64_t expected = part == PackPart::kPack ? pack.size : pack.index_size;
  std::string what = std::string("pack ") + pack.name + " (" + PartName(part) + ")";
  int64_t read = 0;
  for (int64_t seq = 0;; ++seq) {
    SPOKE_ASSIGN_OR_RETURN(
        postgres::Rows rows,
        connection.Execute(
            "SELECT data FROM pack_chunks WHERE pack_id = $1 AND part = $2 AND seq = $3",
            {Param::Int64(pack.id), Param::Text(PartName(part)), Param::Int64(seq)}));
    if (rows.size() == 0) {
      if (read == expected) return Status::Ok();
      return Status::Corruption(what + ": chunk " + std::to_string(seq) + " is missing after " +
                                std::to_string(read) + " of " + std::to_string(expected) +
                                " bytes");
    }
    std::string_view data = rows.Bytes(0, 0);
    read += static_cast<int64_t>(data.size());
    if (read > expected) {
      return Status::Corruption(what + ": chunk " + std::to_string(seq) + " goes past the " +
                                std::to_string(expected) + " bytes the pack row records");
    }
    SPOKE_RETURN_IF_ERROR(sink(data));
  }
}

}  // namespace spoke
