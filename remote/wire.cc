// Encoding and decoding of the sync protocol's payloads.
#include "wire.h"

#include <optional>

#include "spoke/names.h"
#include "spoke/refs.h"

namespace spoke::wire {
namespace {

// Indexed by ImportResolution::Outcome.
constexpr const char* kOutcomeNames[] = {"resolved", "unresolved", "ambiguous"};

Result<std::vector<std::string>> OidList(const Json* list, const char* what) {
  std::vector<std::string> out;
  if (!list) return out;
  if (!list->is_array()) return Status::InvalidArgument(std::string(what) + " must be an array");
  for (const Json& item : list->as_array()) {
    SPOKE_RETURN_IF_ERROR(CheckObjectIdHex(item.as_string()).WithContext(what));
    out.push_back(item.as_string());
  }
  return out;
}

}  // namespace

Json RefsToJson(const std::vector<RefEntry>& refs, const std::vector<std::string>& prefixes) {
  Json list = Json::MakeArray();
  for (const auto& ref : refs) {
    Json entry = Json::MakeObject();
    entry.Set("name", ref.name);
    entry.Set("target", ref.target);
    if (!ref.peeled.empty()) entry.Set("peeled", ref.peeled);
    list.Push(std::move(entry));
  }
  Json root = Json::MakeObject();
  root.Set("protocol", kProtocolVersion);
  Json answered = Json::MakeArray();
  for (const auto& prefix : prefixes) answered.Push(prefix);
  root.Set("prefixes", std::move(answered));
  root.Set("refs", std::move(list));
  return root;
}

std::vector<std::string> AnsweredRefPrefixes(const Json& json) {
  std::vector<std::string> prefixes;
  const Json* list = json.Get("prefixes");
  if (!list || !list->is_array()) return prefixes;
  for (const Json& item : list->as_array()) {
    if (item.is_string()) prefixes.push_back(item.as_string());
  }
  return prefixes;
}

Result<std::vector<RefEntry>> RefsFromJson(const Json& json) {
  const Json* list = json.Get("refs");
  if (!list || !list->is_array()) return Status::Corruption("ref list without \"refs\"");
  std::vector<RefEntry> refs;
  for (const Json& item : list->as_array()) {
    RefEntry ref{item.GetString("name"), item.GetString("target"), item.GetString("peeled")};
    if (ref.name.empty() || !CheckObjectIdHex(ref.target).ok()) {
      return Status::Corruption("malformed ref entry in ref list");
    }
    refs.push_back(std::move(ref));
  }
  return refs;
}

std::string EncodeFetchRequest(const FetchRequest& request) {
  Json root = Json::MakeObject();
  Json wants = Json::MakeArray(), haves = Json::MakeArray();
  for (const auto& w : request.wants) wants.Push(w);
  for (const auto& h : request.haves) haves.Push(h);
  root.Set("wants", std::move(wants));
  root.Set("haves", std::move(haves));
  return root.Dump();
}

Result<FetchRequest> DecodeFetchRequest(const std::string& body) {
  SPOKE_ASSIGN_OR_RETURN(Json json, Json::Parse(body));
  if (!json.is_object()) return Status::InvalidArgument("fetch request must be a JSON object");
  FetchRequest request;
  SPOKE_ASSIGN_OR_RETURN(request.wants, OidList(json.Get("wants"), "wants"));
  SPOKE_ASSIGN_OR_RETURN(request.haves, OidList(json.Get("haves"), "haves"));
  if (request.wants.empty()) return Status::InvalidArgument("fetch request has no wants");
  return request;
}

std::string EncodePushHeader(const std::vector<RefUpdate>& updates) {
  Json list = Json::MakeArray();
  for (const auto& u : updates) {
    Json entry = Json::MakeObject();
    entry.Set("name", u.name);
    entry.Set("old", u.old_target);
    entry.Set("new", u.new_target);
    list.Push(std::move(entry));
  }
  Json root = Json::MakeObject();
  root.Set("protocol", kProtocolVersion);
  root.Set("updates", std::move(list));
  return root.Dump() + "\n";
}

Result<std::vector<RefUpdate>> DecodePushBody(const std::string& body, size_t* pack_offset) {
  size_t newline = body.find('\n');
  if (newline == std::string::npos || newline > kMaxPushHeader) {
    return Status::InvalidArgument(
        "push body must start with one line of JSON naming the ref updates");
  }
  SPOKE_ASSIGN_OR_RETURN(Json header, Json::Parse(body.substr(0, newline)));
  const Json* protocol = header.Get("protocol");
  if (protocol && protocol->as_int() != kProtocolVersion) {
    return Status::InvalidArgument("unsupported sync protocol version " +
                                   std::to_string(protocol->as_int()));
  }
  const Json* list = header.Get("updates");
  if (!list || !list->is_array() || list->as_array().empty()) {
    return Status::InvalidArgument("push names no ref updates");
  }
  std::vector<RefUpdate> updates;
  for (const Json& item : list->as_array()) {
    RefUpdate u{item.GetString("name"), item.GetString("old"), item.GetString("new")};
    if (u.name.empty()) return Status::InvalidArgument("ref update without a name");
    SPOKE_RETURN_IF_ERROR(CheckObjectIdHex(u.new_target).WithContext("ref update " + u.name));
    if (!u.old_target.empty()) {
      SPOKE_RETURN_IF_ERROR(CheckObjectIdHex(u.old_target).WithContext("ref update " + u.name));
    }
    updates.push_back(std::move(u));
  }
  *pack_offset = newline + 1;
  return updates;
}

Json RefResultsToJson(const std::vector<RefResult>& results) {
  Json list = Json::MakeArray();
  for (const auto& r : results) {
    Json entry = Json::MakeObject();
    entry.Set("name", r.name);
    entry.Set("target", r.target);
    entry.Set("status", RefChangeName(r.change));
    list.Push(std::move(entry));
  }
  Json root = Json::MakeObject();
  root.Set("refs", std::move(list));
  return root;
}

Result<std::vector<RefResult>> RefResultsFromJson(const Json& json) {
  const Json* list = json.Get("refs");
  if (!list || !list->is_array()) return Status::Corruption("push response without \"refs\"");
  std::vector<RefResult> results;
  for (const Json& item : list->as_array()) {
    const std::string status = item.GetString("status");
    std::optional<RefChange> change;
    for (RefChange known : {RefChange::kCreated, RefChange::kUpdated, RefChange::kUnchanged}) {
      if (status == RefChangeName(known)) change = known;
    }
    if (!change)
      return Status::Corruption("push response with an unknown ref status \"" + status + "\"");
    results.push_back({item.GetString("name"), item.GetString("target"), *change});
  }
  return results;
}

std::string EncodeImportQuery(const std::vector<std::string>& paths) {
  Json list = Json::MakeArray();
  for (const auto& path : paths) list.Push(path);
  Json root = Json::MakeObject();
  root.Set("paths", std::move(list));
  return root.Dump();
}

Result<std::vector<std::string>> DecodeImportQuery(const std::string& body) {
  SPOKE_ASSIGN_OR_RETURN(Json json, Json::Parse(body));
  const Json* list = json.is_object() ? json.Get("paths") : nullptr;
  if (!list || !list->is_array())
    return Status::InvalidArgument("expected {\"paths\": [\"a/b.proto\", ...]}");
  if (list->as_array().size() > kMaxImportQuery) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxImportQuery) +
                                   " paths per query");
  }
  std::vector<std::string> paths;
  for (const Json& item : list->as_array()) {
    if (!item.is_string()) return Status::InvalidArgument("\"paths\" must hold strings");
    SPOKE_RETURN_IF_ERROR(ValidateProtoPath(item.as_string()));
    paths.push_back(item.as_string());
  }
  return paths;
}

Json ImportResolutionsToJson(const std::vector<ImportResolution>& resolutions) {
  Json list = Json::MakeArray();
  for (const auto& r : resolutions) {
    Json entry = Json::MakeObject();
    entry.Set("path", r.path);
    entry.Set("outcome", kOutcomeNames[static_cast<int>(r.outcome)]);
    if (r.outcome == ImportResolution::Outcome::kResolved) {
      entry.Set("module", r.pin.module);
      entry.Set("version", r.pin.version);
      entry.Set("commit", r.pin.commit);
      entry.Set("digest", r.pin.digest);
      if (!r.pin.mount.empty()) entry.Set("mount", r.pin.mount);
    }
    if (r.outcome == ImportResolution::Outcome::kAmbiguous) {
      Json candidates = Json::MakeArray();
      for (const auto& c : r.candidates) candidates.Push(c);
      entry.Set("candidates", std::move(candidates));
    }
    list.Push(std::move(entry));
  }
  Json root = Json::MakeObject();
  root.Set("imports", std::move(list));
  return root;
}

Result<std::vector<ImportResolution>> ImportResolutionsFromJson(const Json& json) {
  const Json* list = json.Get("imports");
  if (!list || !list->is_array()) return Status::Corruption("import answer without \"imports\"");
  std::vector<ImportResolution> resolutions;
  for (const Json& item : list->as_array()) {
    ImportResolution r;
    r.path = item.GetString("path");
    std::string outcome = item.GetString("outcome");
    if (outcome == "resolved") {
      r.outcome = ImportResolution::Outcome::kResolved;
      r.pin = {item.GetString("module"), item.GetString("version"), item.GetString("commit"),
               item.GetString("digest"), item.GetString("mount")};
      if (r.pin.module.empty() || r.pin.version.empty()) {
        return Status::Corruption("import answer for " + r.path + " names no module and version");
      }
      if (!r.pin.mount.empty() && r.pin.mount != r.pin.module) {
        return Status::Corruption("import answer for " + r.path + " mounts " + r.pin.module +
                                  " at " + r.pin.mount);
      }
    } else if (outcome == "ambiguous") {
      r.outcome = ImportResolution::Outcome::kAmbiguous;
      if (const Json* candidates = item.Get("candidates"); candidates && candidates->is_array()) {
        for (const Json& c : candidates->as_array()) r.candidates.push_back(c.as_string());
      }
    } else if (outcome != "unresolved") {
      return Status::Corruption("import answer for " + r.path + " has unknown outcome \"" +
                                outcome + "\"");
    }
    resolutions.push_back(std::move(r));
  }
  return resolutions;
}

std::string ErrorBody(const Status& status) {
  Json root = Json::MakeObject();
  root.Set("error", status.message());
  root.Set("code", status.CodeName());
  return root.Dump();
}

Status StatusFromErrorResponse(int http_status, const std::string& body) {
  // What a proxy, or a registry body that claims success, leaves to the HTTP status to say.
  Status::Code by_status = Status::Code::kInvalidArgument;
  if (http_status == 404) by_status = Status::Code::kNotFound;
  if (http_status == 409) by_status = Status::Code::kConflict;
  if (http_status == 413) by_status = Status::Code::kTooLarge;
  if (http_status == 401 || http_status == 403) by_status = Status::Code::kPermissionDenied;
  if (http_status >= 500) by_status = Status::Code::kUnavailable;
  auto json = Json::Parse(body);
  if (json.ok() && json->is_object() && json->Get("error")) {
    Status::Code code = Status::CodeFromName(json->GetString("code"));
    // An error response is never a success: {"code": "ok"} would turn a failed push into an
    // acknowledged one, and a Result built from an ok Status holds nothing at all.
    if (code == Status::Code::kOk) code = by_status;
    return Status(code, json->GetString("error"));
  }
  return Status(by_status, "registry answered HTTP " + std::to_string(http_status));
}

}  // namespace spoke::wire
