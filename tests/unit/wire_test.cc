// The sync protocol's payloads (remote/wire.h, docs/protocol.md): every encoder and decoder, round
// trips, and malformed input (truncated, oversized, bad lengths, bad characters) with the exact
// Status; then what a client makes of a registry's error bodies.
#include "wire.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace spoke::wire {
namespace {

const std::string kA(40, 'a');
const std::string kB(40, 'b');
const std::string kC = "0123456789abcdef0123456789abcdef01234567";

// The code and message a decode failed with, as one string: "invalid_argument: ...".
template <typename T>
std::string Failure(const Result<T>& result) {
  return result.ok() ? std::string("ok") : result.status().ToString();
}

Json MustParse(const std::string& text) {
  auto json = Json::Parse(text);
  EXPECT_TRUE(json.ok()) << text;
  return json.ok() ? *json : Json();
}

// --- Ref lists --------------------------------------------------------------------------------

TEST(RefList, RoundTripsWithPeeledTargetsOnlyWhereThereAreSome) {
  std::vector<RefEntry> refs = {{"refs/heads/user/_history", kA, ""},
                                {"refs/tags/user/v1.0.0", kB, kA}};
  Json json = RefsToJson(refs, {"refs/"});
  EXPECT_EQ(json.Get("protocol")->as_int(), kProtocolVersion);
  EXPECT_EQ(json.Dump().find("\"peeled\":\"\""), std::string::npos) << json.Dump();
  auto back = RefsFromJson(MustParse(json.Dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].name, "refs/tags/user/v1.0.0");
  EXPECT_EQ((*back)[1].target, kB);
  EXPECT_EQ((*back)[1].peeled, kA);
  EXPECT_EQ((*back)[0].peeled, "");
  EXPECT_EQ(RefsFromJson(RefsToJson({}, {"refs/"})).value().size(), 0u);
}

TEST(RefList, WithoutRefsOrWithAMalformedEntryIsCorruption) {
  EXPECT_EQ(Failure(RefsFromJson(MustParse("{}"))), "corruption: ref list without \"refs\"");
  EXPECT_EQ(Failure(RefsFromJson(MustParse(R"({"refs": {}})"))),
            "corruption: ref list without \"refs\"");
  const std::string malformed = "corruption: malformed ref entry in ref list";
  EXPECT_EQ(Failure(RefsFromJson(MustParse(R"({"refs": [{"target": ")" + kA + R"("}]})"))),
            malformed);
  // A target one digit short, one too long, upper case, not hex.
  for (const std::string& target :
       {kA.substr(1), kA + "a", std::string(40, 'A'), std::string(39, 'a') + "g"}) {
    EXPECT_EQ(Failure(RefsFromJson(
                  MustParse(R"({"refs": [{"name": "refs/x", "target": ")" + target + R"("}]})"))),
              malformed)
        << target;
  }
}

// --- Fetch requests ---------------------------------------------------------------------------

TEST(FetchRequest, RoundTrips) {
  FetchRequest request{{kA, kB}, {kC}};
  auto back = DecodeFetchRequest(EncodeFetchRequest(request));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->wants, request.wants);
  EXPECT_EQ(back->haves, request.haves);
  // Haves may be absent.
  auto no_haves = DecodeFetchRequest(R"({"wants": [")" + kA + R"("]})");
  ASSERT_TRUE(no_haves.ok()) << no_haves.status().ToString();
  EXPECT_TRUE(no_haves->haves.empty());
}

TEST(FetchRequest, MalformedBodiesAreInvalidArgument) {
  EXPECT_EQ(Failure(DecodeFetchRequest("[]")),
            "invalid_argument: fetch request must be a JSON object");
  EXPECT_EQ(Failure(DecodeFetchRequest("{}")), "invalid_argument: fetch request has no wants");
  EXPECT_EQ(Failure(DecodeFetchRequest(R"({"wants": []})")),
            "invalid_argument: fetch request has no wants");
  EXPECT_EQ(Failure(DecodeFetchRequest(R"({"wants": "x"})")),
            "invalid_argument: wants must be an array");
  EXPECT_EQ(Failure(DecodeFetchRequest(R"({"wants": [")" + kA + R"("], "haves": 1})")),
            "invalid_argument: haves must be an array");
  EXPECT_EQ(Failure(DecodeFetchRequest(R"({"wants": [")" + kA.substr(1) + R"("]})")),
            "invalid_argument: wants: not an object id: \"" + kA.substr(1) + "\"");
  EXPECT_EQ(Failure(DecodeFetchRequest(R"({"wants": [")" + std::string(40, 'F') + R"("]})")),
            "invalid_argument: wants: object ids are 40 lowercase hex digits: \"" +
                std::string(40, 'F') + "\"");
  EXPECT_EQ(Failure(DecodeFetchRequest(R"({"wants": [7]})")),
            "invalid_argument: wants: not an object id: \"\"");
  // Truncated JSON is the parser's InvalidArgument.
  const std::string whole = EncodeFetchRequest({{kA}, {}});
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    auto decoded = DecodeFetchRequest(whole.substr(0, cut));
    EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument) << "cut at " << cut;
  }
}

// --- Push bodies ------------------------------------------------------------------------------

TEST(PushBody, HeaderAndPackRoundTripWithThePackOffset) {
  std::vector<RefUpdate> updates = {{"refs/tags/user/v1.0.0", "", kA},
                                    {"refs/heads/user/_history", kB, kC}};
  const std::string header = EncodePushHeader(updates);
  ASSERT_EQ(header.back(), '\n');
  EXPECT_EQ(header.find('\n'), header.size() - 1) << "the header is one line";
  const std::string body = header + "PACK\n\x00\x01binary";
  size_t offset = 0;
  auto back = DecodePushBody(body, &offset);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(offset, header.size());
  EXPECT_EQ(body.substr(offset), "PACK\n\x00\x01binary");
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].name, updates[0].name);
  EXPECT_EQ((*back)[0].old_target, "");
  EXPECT_EQ((*back)[0].new_target, kA);
  EXPECT_EQ((*back)[1].old_target, kB);
  EXPECT_EQ((*back)[1].new_target, kC);
  // An empty pack (the objects are there already) is a header alone.
  EXPECT_TRUE(DecodePushBody(header, &offset).ok());
  EXPECT_EQ(offset, header.size());
}

TEST(PushBody, TruncatedOrOversizedHeadersAreInvalidArgument) {
  size_t offset = 7;
  const std::string no_line =
      "invalid_argument: push body must start with one line of JSON naming the ref updates";
  EXPECT_EQ(Failure(DecodePushBody("", &offset)), no_line);
  const std::string header = EncodePushHeader({{"refs/tags/user/v1.0.0", "", kA}});
  EXPECT_EQ(Failure(DecodePushBody(header.substr(0, header.size() - 1), &offset)), no_line);
  for (size_t cut = 1; cut + 1 < header.size(); ++cut) {
    auto decoded = DecodePushBody(header.substr(0, cut) + "\n", &offset);
    EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument) << "cut at " << cut;
  }
  // A header line over kMaxPushHeader is refused before it is parsed.
  std::string huge = "{\"pad\": \"" + std::string(kMaxPushHeader, 'x') + "\"}\n";
  EXPECT_EQ(Failure(DecodePushBody(huge, &offset)), no_line);
  EXPECT_EQ(offset, 7u) << "untouched on failure";
}

TEST(PushBody, BadVersionsListsNamesAndIdsAreInvalidArgument) {
  size_t offset = 0;
  auto decode = [&offset](const std::string& line) {
    return Failure(DecodePushBody(line + "\n", &offset));
  };
  EXPECT_EQ(decode(R"({"protocol": 2, "updates": []})"),
            "invalid_argument: unsupported sync protocol version 2");
  EXPECT_EQ(decode(R"({"updates": []})"), "invalid_argument: push names no ref updates");
  EXPECT_EQ(decode(R"({"updates": {}})"), "invalid_argument: push names no ref updates");
  EXPECT_EQ(decode("{}"), "invalid_argument: push names no ref updates");
  EXPECT_EQ(decode(R"({"updates": [{"new": ")" + kA + R"("}]})"),
            "invalid_argument: ref update without a name");
  EXPECT_EQ(decode(R"({"updates": [{"name": "refs/x", "new": ""}]})"),
            "invalid_argument: ref update refs/x: not an object id: \"\"");
  EXPECT_EQ(decode(R"({"updates": [{"name": "refs/x", "old": "zz", "new": ")" + kA + R"("}]})"),
            "invalid_argument: ref update refs/x: not an object id: \"zz\"");
  EXPECT_EQ(
      decode(R"({"updates": [{"name": "refs/x", "new": ")" + std::string(40, 'E') + R"("}]})"),
      "invalid_argument: ref update refs/x: object ids are 40 lowercase hex digits: \"" +
          std::string(40, 'E') + "\"");
  // The protocol version of this build is accepted, and so is none.
  EXPECT_TRUE(
      DecodePushBody(R"({"protocol": 1, "updates": [{"name": "refs/x", "new": ")" + kA + "\"}]}\n",
                     &offset)
          .ok());
}

// --- Push answers -----------------------------------------------------------------------------

TEST(RefResults, RoundTripAndNeedARefsList) {
  std::vector<RefResult> results = {{"refs/tags/user/v1.0.0", kA, RefChange::kCreated},
                                    {"refs/heads/user/_history", kB, RefChange::kUpdated}};
  auto back = RefResultsFromJson(MustParse(RefResultsToJson(results).Dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].change, RefChange::kCreated);
  EXPECT_EQ((*back)[1].target, kB);
  EXPECT_EQ(Failure(RefResultsFromJson(MustParse("{}"))),
            "corruption: push response without \"refs\"");
  EXPECT_EQ(Failure(RefResultsFromJson(MustParse(R"({"refs": "x"})"))),
            "corruption: push response without \"refs\"");
}

// --- Import resolution ------------------------------------------------------------------------

TEST(ImportQuery, RoundTripsAndIsBounded) {
  std::vector<std::string> paths = {"acme/user/v1/user.proto", "google/type/date.proto"};
  EXPECT_EQ(DecodeImportQuery(EncodeImportQuery(paths)).value(), paths);
  EXPECT_EQ(DecodeImportQuery(EncodeImportQuery({})).value(), std::vector<std::string>{});

  const std::string shape = "invalid_argument: expected {\"paths\": [\"a/b.proto\", ...]}";
  EXPECT_EQ(Failure(DecodeImportQuery("[]")), shape);
  EXPECT_EQ(Failure(DecodeImportQuery(R"({"paths": "a.proto"})")), shape);
  EXPECT_EQ(Failure(DecodeImportQuery(R"({"paths": [1]})")),
            "invalid_argument: \"paths\" must hold strings");
  EXPECT_EQ(DecodeImportQuery(R"({"paths": ["../etc/passwd.proto"]})").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(DecodeImportQuery(R"({"paths": ["a/b.txt"]})").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(DecodeImportQuery(R"({"paths": ["a/b.proto)").status().code(),
            Status::Code::kInvalidArgument);

  std::vector<std::string> many(kMaxImportQuery, "a/b.proto");
  EXPECT_TRUE(DecodeImportQuery(EncodeImportQuery(many)).ok());
  many.push_back("a/c.proto");
  EXPECT_EQ(Failure(DecodeImportQuery(EncodeImportQuery(many))),
            "invalid_argument: at most " + std::to_string(kMaxImportQuery) + " paths per query");
}

TEST(ImportResolutions, RoundTripEveryOutcome) {
  ImportResolution resolved;
  resolved.path = "acme/user/v1/user.proto";
  resolved.outcome = ImportResolution::Outcome::kResolved;
  resolved.pin = {"acme/user", "v1.0.0", kA, "sha256:x", "acme/user"};
  ImportResolution unresolved;
  unresolved.path = "nowhere.proto";
  unresolved.outcome = ImportResolution::Outcome::kUnresolved;
  ImportResolution ambiguous;
  ambiguous.path = "common.proto";
  ambiguous.outcome = ImportResolution::Outcome::kAmbiguous;
  ambiguous.candidates = {"a", "b"};

  auto back = ImportResolutionsFromJson(
      MustParse(ImportResolutionsToJson({resolved, unresolved, ambiguous}).Dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[0].outcome, ImportResolution::Outcome::kResolved);
  EXPECT_EQ((*back)[0].pin.module, "acme/user");
  EXPECT_EQ((*back)[0].pin.commit, kA);
  EXPECT_EQ((*back)[0].pin.digest, "sha256:x");
  EXPECT_EQ((*back)[0].pin.mount, "acme/user");
  EXPECT_EQ((*back)[1].outcome, ImportResolution::Outcome::kUnresolved);
  EXPECT_EQ((*back)[2].outcome, ImportResolution::Outcome::kAmbiguous);
  EXPECT_EQ((*back)[2].candidates, (std::vector<std::string>{"a", "b"}));
}

TEST(ImportResolutions, MalformedAnswersAreCorruption) {
  EXPECT_EQ(Failure(ImportResolutionsFromJson(MustParse("{}"))),
            "corruption: import answer without \"imports\"");
  EXPECT_EQ(Failure(ImportResolutionsFromJson(
                MustParse(R"({"imports": [{"path": "a.proto", "outcome": "maybe"}]})"))),
            "corruption: import answer for a.proto has unknown outcome \"maybe\"");
  EXPECT_EQ(Failure(ImportResolutionsFromJson(
                MustParse(R"({"imports": [{"path": "a.proto", "outcome": "resolved"}]})"))),
            "corruption: import answer for a.proto names no module and version");
  EXPECT_EQ(Failure(ImportResolutionsFromJson(MustParse(
                R"({"imports": [{"path": "a.proto", "outcome": "resolved", "module": "m",)"
                R"( "version": "v1.0.0", "mount": "other"}]})"))),
            "corruption: import answer for a.proto mounts m at other");
}

// --- Error bodies -----------------------------------------------------------------------------

TEST(ErrorBody, CarriesTheMessageAndTheCodeName) {
  Json json = MustParse(ErrorBody(Status::Conflict("ref x moved")));
  EXPECT_EQ(json.GetString("error"), "ref x moved");
  EXPECT_EQ(json.GetString("code"), "conflict");
}

TEST(StatusFromErrorResponse, KeepsTheCodeAndMessageSpokeWrote) {
  Status status =
      StatusFromErrorResponse(409, ErrorBody(Status::AlreadyExists("version a@v1.0.0 exists")));
  EXPECT_EQ(status.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(status.message(), "version a@v1.0.0 exists");
}

TEST(StatusFromErrorResponse, AnErrorBodyClaimingOkIsStillAnError) {
  // Found while writing tests/fuzz/wire_fuzz.cc's property: {"code": "ok"} gave an ok Status, so a
  // failed push answered 500 this way looked acknowledged, and the Result<T> built from it held
  // neither a value nor an error.
  Status status = StatusFromErrorResponse(500, R"({"error": "disk full", "code": "ok"})");
  EXPECT_EQ(status.code(), Status::Code::kUnavailable);
  EXPECT_EQ(status.message(), "disk full");
  EXPECT_EQ(StatusFromErrorResponse(409, R"({"error": "", "code": "ok"})").code(),
            Status::Code::kConflict);
}

TEST(StatusFromErrorResponse, FallsBackToTheHttpStatusForABodyThatIsNotSpokes) {
  Status status = StatusFromErrorResponse(502, "<html>Bad Gateway</html>");
  EXPECT_EQ(status.code(), Status::Code::kUnavailable);
  EXPECT_EQ(status.message(), "registry answered HTTP 502");
  EXPECT_EQ(StatusFromErrorResponse(404, "").code(), Status::Code::kNotFound);
  EXPECT_EQ(StatusFromErrorResponse(401, "").code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(StatusFromErrorResponse(413, "").code(), Status::Code::kTooLarge);
  EXPECT_EQ(StatusFromErrorResponse(400, "{}").code(), Status::Code::kInvalidArgument);
}

TEST(StatusFromErrorResponse, AnUnknownCodeIsInternal) {
  EXPECT_EQ(StatusFromErrorResponse(400, R"({"error": "x", "code": "new_code"})").code(),
            Status::Code::kInternal);
}

}  // namespace
}  // namespace spoke::wire
