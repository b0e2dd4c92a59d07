// The sync protocol's error bodies (remote/wire.h): what a client makes of a registry's 4xx/5xx.
#include "wire.h"

#include <gtest/gtest.h>

namespace spoke::wire {
namespace {

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
