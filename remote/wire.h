// The sync protocol's payloads (docs/protocol.md, version 1), encoded and decoded in one place so
// the client and the server cannot drift apart.
#ifndef SPOKE_REMOTE_WIRE_H_
#define SPOKE_REMOTE_WIRE_H_

#include <string>
#include <vector>

#include "spoke/import_index.h"
#include "spoke/json.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke::wire {

inline constexpr int kProtocolVersion = 1;
inline constexpr char kRefsPath[] = "/sync/v1/refs";
inline constexpr char kFetchPath[] = "/sync/v1/fetch";
inline constexpr char kPushPath[] = "/sync/v1/push";
inline constexpr char kNotifyPath[] = "/sync/v1/notify";  // a mirror's: its primary changed
inline constexpr char kPackContentType[] = "application/x-git-packed-objects";
inline constexpr char kPushContentType[] = "application/x-spoke-push";
// The push header (the JSON line before the pack) may not be larger than this.
inline constexpr size_t kMaxPushHeader = 16 << 20;

// A ref list may be asked for under several prefixes at once (`prefix` repeated), at most this
// many.
inline constexpr size_t kMaxRefPrefixes = 64;
// The answer names the prefixes it covers, so that a client can tell an older server, which took
// the first of several prefixes only, and ask it for the others one by one.
Json RefsToJson(const std::vector<RefEntry>& refs, const std::vector<std::string>& prefixes);
Result<std::vector<RefEntry>> RefsFromJson(const Json& json);
// The prefixes a ref list answer says it covers; empty when it says none (an older server).
std::vector<std::string> AnsweredRefPrefixes(const Json& json);

struct FetchRequest {
  std::vector<std::string> wants;
  std::vector<std::string> haves;
};
std::string EncodeFetchRequest(const FetchRequest& request);
Result<FetchRequest> DecodeFetchRequest(const std::string& body);

// A push body: one line of JSON ({"updates": [{"name", "old", "new"}]}), a '\n', then the pack.
std::string EncodePushHeader(const std::vector<RefUpdate>& updates);
Result<std::vector<RefUpdate>> DecodePushBody(const std::string& body, size_t* pack_offset);

Json RefResultsToJson(const std::vector<RefResult>& results);
Result<std::vector<RefResult>> RefResultsFromJson(const Json& json);

// The import index's resolve route (REST, docs/api.md): {"paths": [...]} in, one answer per path
// out, {"imports": [{"path", "outcome", ...}]}.
inline constexpr char kImportsResolvePath[] = "/imports/resolve";
inline constexpr size_t kMaxImportQuery = 10000;
std::string EncodeImportQuery(const std::vector<std::string>& paths);
// InvalidArgument for a malformed body, a path that is not a .proto path, or more than
// kMaxImportQuery paths.
Result<std::vector<std::string>> DecodeImportQuery(const std::string& body);
Json ImportResolutionsToJson(const std::vector<ImportResolution>& resolutions);
Result<std::vector<ImportResolution>> ImportResolutionsFromJson(const Json& json);

// The JSON error body every 4xx/5xx response carries: {"error": message, "code": code name}.
std::string ErrorBody(const Status& status);
// Rebuilds a Status from an error response (falls back to the HTTP status when the body is not
// Spoke's JSON, e.g. from a proxy).
Status StatusFromErrorResponse(int http_status, const std::string& body);

}  // namespace spoke::wire

#endif  // SPOKE_REMOTE_WIRE_H_
