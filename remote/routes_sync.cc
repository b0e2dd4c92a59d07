// The sync protocol's routes (docs/protocol.md): list refs by prefix, fetch a pack, push a pack
// with ref updates.
#include <fcntl.h>
#include <git2.h>
#include <unistd.h>

#include <map>

#include "routes.h"
#include "spoke/refs.h"
#include "wire.h"

namespace spoke {
namespace {

// A fetch request is a list of object ids: 64 MiB holds over a million of them.
constexpr uint64_t kMaxFetchRequest = 64 << 20;

// A ref prefix must name refs the way a ref update must (git's ref name rules), with an optional
// trailing '/': the store turns it into a glob over its refs directory, so "refs/../../" would walk
// the file system and '*', '?', '[' would be patterns.
Status ValidateRefPrefix(const std::string& prefix) {
  if (prefix.empty() || prefix == kAllRefsPrefix) return Status::Ok();
  if (prefix.rfind(kAllRefsPrefix, 0) != 0)
    return Status::InvalidArgument("ref prefix must start with refs/");
  std::string name = prefix;
  if (name.back() == '/') name.pop_back();
  int valid = 0;
  if (git_reference_name_is_valid(&valid, name.c_str()) != 0 || !valid ||
      name.find_first_of("*?[\\") != std::string::npos) {
    return Status::InvalidArgument("invalid ref prefix \"" + prefix +
                                   "\": it must follow git's ref name rules");
  }
  return Status::Ok();
}

// The JSON line that starts a push body stored in `path`, and where the pack after it begins.
Result<std::vector<RefUpdate>> ReadPushHeader(const std::string& path, size_t* pack_offset) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot read the received push body");
  // Read in pieces until the line ends: the header is usually a few hundred bytes.
  std::string head;
  char piece[64 << 10];
  while (head.size() <= wire::kMaxPushHeader) {
    ssize_t n = read(fd, piece, sizeof(piece));
    if (n <= 0) break;
    head.append(piece, static_cast<size_t>(n));
    if (std::string_view(piece, static_cast<size_t>(n)).find('\n') != std::string_view::npos) break;
  }
  close(fd);
  return wire::DecodePushBody(head, pack_offset);
}

}  // namespace

void RegisterSyncRoutes(http::Server& http, ServerContext& ctx) {
  http.Get(wire::kRefsPath, [&ctx](const http::Request& req, http::Response& res) {
    std::vector<std::string> prefixes;
    auto [first, last] = req.params.equal_range("prefix");
    for (auto it = first; it != last; ++it) prefixes.push_back(it->second);
    if (prefixes.empty()) prefixes.push_back("");
    if (prefixes.size() > wire::kMaxRefPrefixes) {
      return SendError(res,
                       Status::InvalidArgument("at most " + std::to_string(wire::kMaxRefPrefixes) +
                                               " ref prefixes may be asked for at once"));
    }
    std::map<std::string, RefEntry> by_name;  // prefixes may overlap: each ref is listed once
    for (const auto& prefix : prefixes) {
      if (Status valid = ValidateRefPrefix(prefix); !valid.ok()) return SendError(res, valid);
      auto refs = ctx.store->ListRefs(prefix);
      if (!refs.ok()) return SendError(res, refs.status());
      for (auto& ref : *refs) by_name.emplace(ref.name, std::move(ref));
    }
    std::vector<RefEntry> refs;
    refs.reserve(by_name.size());
    for (auto& [name, ref] : by_name) refs.push_back(std::move(ref));
    SendJson(res, wire::RefsToJson(refs, prefixes));
  });

  http.Post(wire::kFetchPath, {http::Access::kRead, kMaxFetchRequest, false},
            [&ctx](const http::Request& req, http::Response& res) {
              auto request = wire::DecodeFetchRequest(req.body);
              if (!request.ok()) return SendError(res, request.status());
              PackStats stats;
              auto pack = ctx.store->BuildPack(request->wants, request->haves, &stats);
              if (!pack.ok()) return SendError(res, pack.status());
              res.set_header("X-Spoke-Objects", std::to_string(stats.objects));
              res.set_content(std::move(*pack), wire::kPackContentType);
            });

  // The pack goes to a file as it arrives and is indexed from there: a push is never held in
  // memory, however large.
  http::RouteOptions push = WriteRoute(ctx);
  push.body_to_file = true;
  http.Post(wire::kPushPath, push, [&ctx](const http::Request& req, http::Response& res) {
    size_t pack_offset = 0;
    auto updates = ReadPushHeader(req.body_file, &pack_offset);
    if (!updates.ok()) return SendError(res, updates.status());
    if (!AllowPushRefs(ctx, req, *updates, res)) return;
    auto results =
        ctx.store->ApplyPackFile(req.body_file, pack_offset, *updates, RefPolicy::kStrict);
    if (!results.ok()) return SendError(res, results.status());
    // A module this push created gets the server's default level (its first version has nothing
    // to be compared with, so setting the level now misses no check).
    for (const auto& result : *results) {
      std::string module;
      if (result.change != RefChange::kCreated || !ParseModuleBranchRef(result.name, &module))
        continue;
      if (Status s = ApplyDefaultCompatibility(ctx, module); !s.ok()) return SendError(res, s);
    }
    SendJson(res, wire::RefResultsToJson(*results));
  });
}

}  // namespace spoke
