// RemoteClient: talks to a registry over HTTP, for the sync protocol (refs, fetch, push) and the
// REST API's JSON reads.
//
// Every failure to reach the registry (refused, timed out, DNS) comes back as Unavailable with
// "registry <url> is unreachable" in the message; every error answer is turned back into the
// Status the server meant (its JSON "code"); an answer over its bound (below) is TooLarge. Not
// thread-safe: one client per thread.
#ifndef SPOKE_REMOTE_H_
#define SPOKE_REMOTE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spoke/import_index.h"
#include "spoke/json.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

// Called as bytes move: phase is "Sending" or "Receiving"; total is 0 when unknown.
using TransferProgress = std::function<void(const char* phase, uint64_t done, uint64_t total)>;

// Every answer the client reads is bounded, so a broken or hostile registry cannot make it use
// unbounded memory or disk. A JSON answer (ref lists, REST reads, error bodies) is held in memory
// and may be at most this long; a fetched pack is streamed to a file and bounded by
// RemoteOptions::max_pack_bytes. Over a bound the client stops reading at once.
inline constexpr uint64_t kMaxJsonAnswerBytes = uint64_t{64} << 20;
inline constexpr uint64_t kDefaultMaxPackBytes = uint64_t{4} << 30;

struct RemoteOptions {
  std::string url;    // "http://host:port" with an optional path prefix
  std::string token;  // sent as "Authorization: Bearer <token>" when not empty
  int connect_timeout_seconds = 5;
  int io_timeout_seconds = 300;
  TransferProgress progress;  // may be empty
  // The largest pack FetchPackToFile takes (the `spoke` CLI reads it from SPOKE_MAX_FETCH).
  uint64_t max_pack_bytes = kDefaultMaxPackBytes;
  // For https:// URLs: a PEM file of the CAs that may sign the registry's certificate (a private
  // CA), instead of the system's. Certificates are verified either way.
  std::string ca_file;
};

// Percent-encodes a URL query value: every byte but RFC 3986's unreserved characters.
std::string EncodeQueryValue(const std::string& value);

class HttpTransport;

class RemoteClient {
 public:
  // InvalidArgument for a URL that is not http://host[:port][/prefix].
  static Result<std::unique_ptr<RemoteClient>> Create(const RemoteOptions& options);
  // The same over `transport` (remote/http_transport.h) instead of a connection to options.url,
  // whose path prefix and token still go into every request: a registry answering in this
  // process, for tests of the sync protocol without sockets. InvalidArgument for a null one.
  static Result<std::unique_ptr<RemoteClient>> Create(const RemoteOptions& options,
                                                      std::unique_ptr<HttpTransport> transport);
  ~RemoteClient();

  const std::string& url() const;

  // Refs whose names start with `prefix`; the server filters, so a client never downloads the ref
  // list of a whole large registry to find one module.
  Result<std::vector<RefEntry>> ListRefs(const std::string& prefix);
  // Refs whose names start with any of `prefixes`, sorted by name, each once: one request (a
  // registry older than the multi-prefix ref list answers for the first prefix only, and is then
  // asked for the others one by one).
  Result<std::vector<RefEntry>> ListRefs(const std::vector<std::string>& prefixes);
  // One pack holding what `wants` need and `haves` do not already give, streamed into the file
  // `path` (created, or truncated) as it arrives; returns its size. TooLarge, with the file cut
  // short, when the registry announces or sends more than RemoteOptions::max_pack_bytes. The
  // caller removes the file.
  Result<uint64_t> FetchPackToFile(const std::vector<std::string>& wants,
                                   const std::vector<std::string>& haves, const std::string& path);
  // Sends a pack and the ref updates; all apply or none.
  Result<std::vector<RefResult>> Push(const std::string& pack,
                                      const std::vector<RefUpdate>& updates);
  // Asks the registry's import index which module provides each of `paths` (POST /imports/resolve):
  // one answer per path, in order. Long lists are sent in several requests.
  Result<std::vector<ImportResolution>> ResolveImports(const std::vector<std::string>& paths);

  // Tells a mirror (the registry at this client's URL) that its primary changed, so it syncs now
  // (POST /sync/v1/notify). NotFound when the server there is not a mirror.
  Status NotifyMirror();

  // --- The REST API (docs/api.md); every path is built here. Answers are its JSON, parsed. ----
  // REQUIRES: valid module names and versions (names.h, semver.h; "latest" where the API takes it).

  // GET /modules/{module}: {"name", "description", "compatibility", "created", "versions",
  // "latest"}. NotFound when the registry has no such module.
  Result<Json> GetModule(const std::string& module);
  // POST /modules: creates a module with no versions; `compatibility` as the API takes it (a level
  // or "NONE"). AlreadyExists when it exists.
  Result<Json> CreateModule(const std::string& module, const std::string& description,
                            const std::string& compatibility);
  // PUT /modules/{module}/compatibility: sets the module's level (a level or "NONE").
  Result<Json> SetCompatibility(const std::string& module, const std::string& compatibility);
  // GET /modules/{module}/versions/{version}: the version's description, its pins included.
  Result<Json> GetVersion(const std::string& module, const std::string& version);
  // POST /modules/{module}/versions/{version}/compile/{language}: the registry compiles the
  // version (or finds it compiled) and answers {"key", "ref", "commit", "cached", "files"}.
  struct CompileQuery {
    bool include_imports = true;
    std::string parameter;          // the generator's parameter; "" for none
    std::string go_package_prefix;  // "" to let the registry choose
  };
  Result<Json> Compile(const std::string& module, const std::string& version,
                       const std::string& language, const CompileQuery& query);
  // GET /search: {"hits": [...], "complete"}.
  struct SearchQuery {
    std::string text;
    size_t limit = 0;  // 0: the registry's default
    std::string type;  // "" for every kind of element
    bool all_versions = false;
  };
  Result<Json> Search(const SearchQuery& query);

  RemoteClient(const RemoteClient&) = delete;
  RemoteClient& operator=(const RemoteClient&) = delete;

  struct Impl;

 private:
  explicit RemoteClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spoke

#endif  // SPOKE_REMOTE_H_
