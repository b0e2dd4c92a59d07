// Fuzzes the sync protocol's decoders (remote/wire.h): what a registry reads from a client and a
// client reads from a registry. The first byte picks the decoder ('0' to '6', counted modulo 7 from
// '0', so corpus files stay readable); the rest is the body. Every decoder fails with a
// Status or returns what, encoded again, decodes to the same thing, and an error response never
// decodes to an ok Status.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "wire.h"

namespace {

namespace wire = spoke::wire;
using spoke::Json;
using spoke::fuzz::Check;

void FuzzPushBody(const std::string& body) {
  size_t offset = 0;
  auto updates = wire::DecodePushBody(body, &offset);
  if (!updates.ok()) return;
  Check(offset > 0 && offset <= body.size(), "DecodePushBody's pack offset is outside the body");
  std::string pack = body.substr(offset);
  std::string again_body = wire::EncodePushHeader(*updates) + pack;
  size_t again_offset = 0;
  auto again = wire::DecodePushBody(again_body, &again_offset);
  Check(again.ok(), "an encoded push header does not decode", again.status().ToString());
  Check(again_body.substr(again_offset) == pack, "the pack moved in a re-encoded push body");
  Check(again->size() == updates->size(), "a re-encoded push body has another number of updates");
  for (size_t i = 0; i < updates->size(); ++i) {
    const auto &a = (*updates)[i], &b = (*again)[i];
    Check(a.name == b.name && a.old_target == b.old_target && a.new_target == b.new_target,
          "a re-encoded ref update differs", a.name);
  }
}

void FuzzFetchRequest(const std::string& body) {
  auto request = wire::DecodeFetchRequest(body);
  if (!request.ok()) return;
  Check(!request->wants.empty(), "a fetch request without wants decoded");
  auto again = wire::DecodeFetchRequest(wire::EncodeFetchRequest(*request));
  Check(again.ok(), "an encoded fetch request does not decode", again.status().ToString());
  Check(again->wants == request->wants && again->haves == request->haves,
        "a re-encoded fetch request differs");
}

void FuzzRefs(const std::string& body) {
  auto json = Json::Parse(body);
  if (!json.ok()) return;
  auto refs = wire::RefsFromJson(*json);
  if (!refs.ok()) return;
  auto again = wire::RefsFromJson(wire::RefsToJson(*refs, {}));
  Check(again.ok(), "an encoded ref list does not decode", again.status().ToString());
  Check(again->size() == refs->size(), "a re-encoded ref list has another length");
  for (size_t i = 0; i < refs->size(); ++i) {
    const auto &a = (*refs)[i], &b = (*again)[i];
    Check(a.name == b.name && a.target == b.target && a.peeled == b.peeled,
          "a re-encoded ref entry differs", a.name);
  }
}

void FuzzRefResults(const std::string& body) {
  auto json = Json::Parse(body);
  if (!json.ok()) return;
  auto results = wire::RefResultsFromJson(*json);
  if (!results.ok()) return;
  auto again = wire::RefResultsFromJson(wire::RefResultsToJson(*results));
  Check(again.ok(), "encoded ref results do not decode", again.status().ToString());
  Check(again->size() == results->size(), "re-encoded ref results have another length");
  for (size_t i = 0; i < results->size(); ++i) {
    const auto &a = (*results)[i], &b = (*again)[i];
    Check(a.name == b.name && a.target == b.target && a.change == b.change,
          "a re-encoded ref result differs", a.name);
  }
}

void FuzzImportQuery(const std::string& body) {
  auto paths = wire::DecodeImportQuery(body);
  if (!paths.ok()) return;
  Check(paths->size() <= wire::kMaxImportQuery, "an import query over the limit decoded");
  auto again = wire::DecodeImportQuery(wire::EncodeImportQuery(*paths));
  Check(again.ok(), "an encoded import query does not decode", again.status().ToString());
  Check(*again == *paths, "a re-encoded import query differs");
}

void FuzzImportResolutions(const std::string& body) {
  auto json = Json::Parse(body);
  if (!json.ok()) return;
  auto resolutions = wire::ImportResolutionsFromJson(*json);
  if (!resolutions.ok()) return;
  auto again = wire::ImportResolutionsFromJson(wire::ImportResolutionsToJson(*resolutions));
  Check(again.ok(), "encoded import answers do not decode", again.status().ToString());
  Check(again->size() == resolutions->size(), "re-encoded import answers have another length");
  for (size_t i = 0; i < resolutions->size(); ++i) {
    const auto &a = (*resolutions)[i], &b = (*again)[i];
    Check(a.path == b.path && a.outcome == b.outcome && a.candidates == b.candidates &&
              a.pin.module == b.pin.module && a.pin.version == b.pin.version &&
              a.pin.commit == b.pin.commit && a.pin.digest == b.pin.digest,
          "a re-encoded import answer differs", a.path);
  }
}

// The body's first two bytes are the HTTP status (400 to 599), the rest the error body.
void FuzzErrorResponse(const std::string& input) {
  if (input.size() < 2) return;
  int http_status =
      400 + (static_cast<uint8_t>(input[0]) << 8 | static_cast<uint8_t>(input[1])) % 200;
  spoke::Status status = wire::StatusFromErrorResponse(http_status, input.substr(2));
  Check(!status.ok(), "an error response decoded to an ok Status", input.substr(2));
  spoke::Status again = wire::StatusFromErrorResponse(http_status, wire::ErrorBody(status));
  Check(again.code() == status.code() && again.message() == status.message(),
        "a re-encoded error body decodes to another Status", status.ToString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string body = spoke::fuzz::AsString(data + 1, size - 1);
  switch (static_cast<uint8_t>(data[0] - '0') % 7) {
    case 0:
      FuzzPushBody(body);
      break;
    case 1:
      FuzzFetchRequest(body);
      break;
    case 2:
      FuzzRefs(body);
      break;
    case 3:
      FuzzRefResults(body);
      break;
    case 4:
      FuzzImportQuery(body);
      break;
    case 5:
      FuzzImportResolutions(body);
      break;
    case 6:
      FuzzErrorResponse(body);
      break;
  }
  return 0;
}
