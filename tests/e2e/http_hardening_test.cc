// The registry's HTTP layer against hostile clients: bodies over the limit (chunked too) and
// unauthenticated bodies refused before they are read, slow heads that cannot hold the server,
// per-client connection bounds, strict framing, ref prefixes that cannot leave the store, writes
// that cannot skip the gate, and safe defaults for where and how the server listens.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "e2e_util.h"
#include "harness.h"
#include "raw_http.h"

namespace spoke::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<std::pair<std::string, std::string>> kGoodFiles = {
    {"acme/a.proto", "syntax = \"proto3\";\npackage acme;\nmessage A { string name = 1; }\n"}};

// The JSON error code of an answer ("" when the body is not Spoke's JSON error).
std::string ErrorCode(const RawResponse& response) {
  auto json = Json::Parse(response.body);
  return json.ok() ? json->GetString("code") : "";
}

std::string ErrorMessage(const RawResponse& response) {
  auto json = Json::Parse(response.body);
  return json.ok() ? json->GetString("error") : response.body;
}

// Peak and current resident memory of a process, in KiB, from /proc.
int64_t ProcStatusKiB(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atoll(line.c_str() + field.size() + 1);
  }
  return -1;
}

std::string Post(const std::string& path, const std::string& extra_headers,
                 const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: registry\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class HttpHardening : public ::testing::Test {
 protected:
  // Starts a server with `args` (and `env`) and seeds one version through REST.
  void Start(std::vector<std::string> args = {}, const Env& env = {}) {
    std::string token;
    for (const auto& [name, value] : env) {
      if (name == "SPOKE_TOKEN") token = value;
    }
    server_ = ServerProcess::Start({work_.Sub("storage"), std::move(args), env});
    ASSERT_TRUE(server_);
    auto http = HttpClient(server_->port());
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto seeded = http->Post("/modules/acme/versions", headers,
                             UploadBody("v1.0.0", kGoodFiles).Dump(), "application/json");
    ASSERT_TRUE(seeded);
    ASSERT_EQ(seeded->status, 201) << seeded->body;
    refs_before_ = RefsOf(work_.Sub("storage"));
  }

  void TearDown() override {
    if (!server_) return;
    // The server still answers, and nothing the hostile requests sent reached the store.
    auto live = RawRequest(server_->port(), "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(live) << "the server stopped answering";
    EXPECT_EQ(live->status, 200);
    EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before_)
        << "a refused request changed the store's refs";
    // The version stored before still reads back byte for byte.
    auto file = RawRequest(server_->port(),
                           "GET /modules/acme/versions/v1.0.0/files/acme/a.proto HTTP/1.1\r\n"
                           "Host: x\r\n\r\n");
    ASSERT_TRUE(file);
    EXPECT_EQ(file->status, 200);
    EXPECT_EQ(file->body, kGoodFiles[0].second);
    GitFsck(work_.Sub("storage"));
  }

  int port() const { return server_->port(); }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::string refs_before_;
};

// --- Body limits and the gate, before the body is read ---------------------------------------

TEST_F(HttpHardening, AChunkedBodyOverTheLimitGets413) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max-body-mib", "1"}));
  auto connection = RawConnection::Open(port());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(
      connection->Send("POST /sync/v1/push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       "Content-Type: application/x-spoke-push\r\n\r\n"));
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'P') + "\r\n";
  // 4 MiB in 64 KiB chunks; the server may stop reading (and answer) long before the end.
  for (int i = 0; i < 64 && connection->Send(chunk); ++i) {
  }
  connection->Send("0\r\n\r\n");
  auto answer = connection->Read(seconds(10));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 413) << answer->body;
  EXPECT_EQ(ErrorCode(*answer), "too_large");
}

TEST_F(HttpHardening, AnUnauthenticatedBodyIsRefusedBeforeItIsRead) {
  ASSERT_NO_FATAL_FAILURE(Start({}, {{"SPOKE_TOKEN", "s3cret"}}));
  // 900 MiB announced, none sent: the answer must not wait for it.
  auto connection = RawConnection::Open(port());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(connection->Send(
      "POST /sync/v1/push HTTP/1.1\r\nHost: x\r\nContent-Length: 943718400\r\n\r\n"));
  auto answer = connection->Read(seconds(3));
  ASSERT_TRUE(answer) << "no answer within 3 s: the body was waited for";
  EXPECT_EQ(answer->status, 401);
  EXPECT_EQ(answer->Header("WWW-Authenticate"), "Bearer");
  EXPECT_TRUE(Contains(ErrorMessage(*answer), "token")) << answer->body;
  EXPECT_TRUE(connection->WaitForClose(seconds(10)))
      << "the connection stayed open after refusing its body";
}

TEST_F(HttpHardening, AWrongTokenIsRefusedAndTheRightOneAccepted) {
  ASSERT_NO_FATAL_FAILURE(Start({}, {{"SPOKE_TOKEN", "s3cret"}}));
  const std::string body = UploadBody("v2.0.0", kGoodFiles).Dump();
  auto wrong =
      RawRequest(port(), Post("/modules/acme/versions", "Authorization: Bearer s3cres\r\n", body));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_TRUE(Contains(ErrorMessage(*wrong), "not valid")) << wrong->body;
  auto right =
      RawRequest(port(), Post("/modules/acme/versions", "Authorization: Bearer s3cret\r\n", body));
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 201) << right->body;
  refs_before_ = RefsOf(work_.Sub("storage"));
}

TEST_F(HttpHardening, ADeclaredLengthOverTheLimitGets413AtOnce) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max-body-mib", "1"}));
  auto connection = RawConnection::Open(port());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(connection->Send(
      "POST /sync/v1/push HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n"));
  auto answer = connection->Read(seconds(3));
  ASSERT_TRUE(answer) << "no answer within 3 s: the body was waited for";
  EXPECT_EQ(answer->status, 413);
  EXPECT_EQ(ErrorCode(*answer), "too_large");
  EXPECT_TRUE(Contains(ErrorMessage(*answer), "1048576")) << answer->body;
}

TEST_F(HttpHardening, ExpectContinueIsAnsweredBeforeTheBody) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max-body-mib", "1"}));
  // Over the limit: 413 at once, never 100.
  auto over = RawConnection::Open(port());
  ASSERT_TRUE(over);
  ASSERT_TRUE(
      over->Send("POST /sync/v1/push HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                 "Content-Length: 5000000\r\n\r\n"));
  auto refused = over->Read(seconds(3));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  // Within it: 100 first, then the answer once the body is sent.
  const std::string body = UploadBody("v1.1.0", kGoodFiles).Dump();
  auto within = RawConnection::Open(port());
  ASSERT_TRUE(within);
  ASSERT_TRUE(
      within->Send("POST /modules/acme/versions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                   "Content-Type: application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n"));
  auto go_on = within->Read(seconds(3));
  ASSERT_TRUE(go_on);
  EXPECT_EQ(go_on->status, 100);
  ASSERT_TRUE(within->Send(body));
  auto created = within->Read(seconds(10));
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;
  refs_before_ = RefsOf(work_.Sub("storage"));
}

TEST_F(HttpHardening, APushBodyIsStreamedToDiskNotHeldInMemory) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max-body-mib", "256"}));
  const pid_t pid = server_->process().pid();
  const int64_t before = ProcStatusKiB(pid, "VmRSS");
  ASSERT_GT(before, 0);
  // A push header naming one update, then 128 MiB that only claim to be a pack.
  const std::string header =
      "{\"updates\":[{\"name\":\"refs/tags/acme/v9.0.0\",\"old\":\"\",\"new\":\"" +
      std::string(40, 'a') + "\"}]}\n";
  const uint64_t pack_bytes = uint64_t{128} << 20;
  auto connection = RawConnection::Open(port());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(connection->Send(
      "POST /sync/v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-spoke-push\r\n"
      "Content-Length: " +
      std::to_string(header.size() + pack_bytes) + "\r\n\r\n" + header));
  std::string block(1 << 20, 'x');
  block.replace(0, 4, "PACK");
  for (uint64_t sent = 0; sent < pack_bytes; sent += block.size()) {
    ASSERT_TRUE(connection->Send(block));
    block.replace(0, 4, "xxxx");
  }
  auto answer = connection->Read(seconds(60));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 422) << answer->body;
  const int64_t peak = ProcStatusKiB(pid, "VmHWM");
  EXPECT_LT(peak - before, 48 * 1024)
      << "a 128 MiB push grew the server by " << (peak - before) / 1024 << " MiB";
}

// --- Ref prefixes ----------------------------------------------------------------------------

TEST_F(HttpHardening, RefPrefixesThatLeaveTheRefNamespaceAre400) {
  ASSERT_NO_FATAL_FAILURE(Start());
  for (std::string prefix : {"refs/../../", "refs/tags/../../../etc/", "refs/heads/*", "refs/x[a]/",
                             "refs//tags/", "refs/tags/acme/..", "refs/tags/.hidden/",
                             "refs/tags/a b/", "refs%2F..%2F..%2F", "heads/"}) {
    SCOPED_TRACE(prefix);
    auto answer =
        RawRequest(port(), "GET /sync/v1/refs?prefix=" + prefix + " HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(answer);
    // A space in the target is itself malformed (400); every other case is the prefix rule's.
    EXPECT_EQ(answer->status, 400) << answer->body;
    EXPECT_EQ(ErrorCode(*answer), "invalid_argument") << answer->body;
    EXPECT_FALSE(Contains(answer->body, "\"refs\"")) << "refs were listed: " << answer->body;
  }
  auto good =
      RawRequest(port(), "GET /sync/v1/refs?prefix=refs/tags/acme/ HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  EXPECT_TRUE(Contains(good->body, "refs/tags/acme/v1.0.0")) << good->body;
}

// --- Slow clients and connection bounds ------------------------------------------------------

TEST_F(HttpHardening, TwoHundredSlowHeadsDoNotStallOtherClients) {
  ASSERT_NO_FATAL_FAILURE(Start());
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 200; ++i) {
    // Spread over four client addresses, as a small botnet would be.
    auto connection = RawConnection::Open(port(), "127.0.0." + std::to_string(2 + i % 4));
    ASSERT_TRUE(connection);
    ASSERT_TRUE(connection->Send("GET /modules HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    slow.push_back(std::move(connection));
  }
  for (int round = 0; round < 3; ++round) {
    const auto start = std::chrono::steady_clock::now();
    auto answer = RawRequest(port(), "GET /health/ready HTTP/1.1\r\nHost: x\r\n\r\n", seconds(5));
    const auto took =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    ASSERT_TRUE(answer) << "with 200 slow heads open, a normal GET got no answer within 5 s";
    EXPECT_EQ(answer->status, 200);
    EXPECT_LT(took.count(), 1000) << "a normal GET took " << took.count() << " ms";
    for (auto& connection : slow) connection->Send("a");
  }
}

TEST_F(HttpHardening, AHeadTricklingInIsCutAtTheHeadDeadline) {
  ASSERT_NO_FATAL_FAILURE(Start({"--header-timeout-ms", "1000"}));
  auto connection = RawConnection::Open(port());
  ASSERT_TRUE(connection);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(connection->Send("GET /modules HTTP/1.1\r\nHost: x\r\n"));
  bool closed = false;
  // One byte of a header line every 100 ms: each read makes progress, the head never ends.
  while (!closed && std::chrono::steady_clock::now() - start < seconds(10)) {
    connection->Send("X");
    closed = connection->WaitForClose(milliseconds(100));
  }
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  EXPECT_TRUE(closed) << "a head trickling in kept its connection for 10 s";
  EXPECT_LT(took.count(), 3000);
}

TEST_F(HttpHardening, OneClientAddressHoldsABoundedNumberOfConnections) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max-connections-per-client", "4"}));
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(RawConnection::Open(port(), "127.0.0.7"));
    ASSERT_TRUE(held.back());
    // A first request answered shows the server has accepted the connection (several reactor
    // threads accept, so connections opened in a row may be counted in any order); the second,
    // half sent, keeps it busy, so that it cannot make room for the fifth.
    ASSERT_TRUE(
        held.back()->Send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /modules HTTP/1.1\r\n"));
    auto first = held.back()->Read(seconds(5));
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status, 200);
  }
  auto fifth = RawConnection::Open(port(), "127.0.0.7");
  ASSERT_TRUE(fifth);
  fifth->Send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
  auto refused = fifth->Read(seconds(5));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_TRUE(Contains(ErrorMessage(*refused), "127.0.0.7")) << refused->body;
  // Another address is not affected.
  auto other = RawConnection::Open(port(), "127.0.0.8");
  ASSERT_TRUE(other);
  other->Send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
  auto served = other->Read(seconds(5));
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200);
}

TEST_F(HttpHardening, IdleKeepAliveConnectionsMakeRoomForNewOnes) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max-connections-per-client", "4"}));
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(RawConnection::Open(port(), "127.0.0.9"));
    ASSERT_TRUE(idle.back());
    idle.back()->Send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    auto answer = idle.back()->Read(seconds(5));
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200);
  }
  auto fifth = RawConnection::Open(port(), "127.0.0.9");
  ASSERT_TRUE(fifth);
  fifth->Send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
  auto answer = fifth->Read(seconds(5));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
}

// Each reactor thread owns the connections it accepted: an idle one held by another reactor is
// closed by that reactor, and the new connection is served meanwhile.
TEST_F(HttpHardening, AnIdleConnectionMakesRoomWhicheverReactorHoldsIt) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max-connections-per-client", "1"}));
  const std::string live = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
  auto previous = RawConnection::Open(port(), "127.0.0.11");
  ASSERT_TRUE(previous);
  ASSERT_TRUE(previous->Send(live));
  auto first = previous->Read(seconds(5));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);
  // Which reactor accepts a connection is the kernel's choice: enough rounds see both cases.
  for (int round = 0; round < 16; ++round) {
    auto next = RawConnection::Open(port(), "127.0.0.11");
    ASSERT_TRUE(next);
    ASSERT_TRUE(next->Send(live));
    auto answer = next->Read(seconds(5));
    ASSERT_TRUE(answer) << "round " << round;
    ASSERT_EQ(answer->status, 200) << "round " << round << ": " << answer->body;
    EXPECT_TRUE(previous->WaitForClose(seconds(5))) << "round " << round;
    previous = std::move(next);
  }
}

// Answers are written without blocking anyone: an answer the client does not read waits in the
// server while every other client is served. A file the store holds in memory (up to 2 MiB) is
// answered by the event loop, which holds the unsent rest; a larger one by a worker.
TEST_F(HttpHardening, AClientThatDoesNotReadItsAnswersHoldsUpNoOne) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto proto_of = [](size_t bytes) {
    std::string text = "syntax = \"proto3\";\npackage acme.big;\n";
    while (text.size() < bytes) text += "// " + std::string(96, 'x') + "\n";
    return text;
  };
  const FileSet files = {{"acme/big/cached.proto", proto_of(3 << 19)},  // 1.5 MiB
                         {"acme/big/large.proto", proto_of(3 << 20)}};  // 3 MiB
  auto http = HttpClient(port());
  auto pushed = http->Post("/modules/acme/big/versions", UploadBody("v1.0.0", files).Dump(),
                           "application/json");
  ASSERT_TRUE(pushed);
  ASSERT_EQ(pushed->status, 201) << pushed->body;
  refs_before_ = RefsOf(work_.Sub("storage"));  // what the reads below must leave as it is

  for (const auto& [path, content] : files) {
    SCOPED_TRACE(path);
    const std::string get =
        "GET /modules/acme/big/versions/v1.0.0/files/" + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    auto once = RawRequest(port(), get, seconds(10));  // now in the store's memory, if it fits
    ASSERT_TRUE(once);
    ASSERT_EQ(once->body, content);
    // Eight answers: far more than the socket buffers take.
    auto stalled = RawConnection::Open(port());
    ASSERT_TRUE(stalled);
    std::string eight;
    for (int i = 0; i < 8; ++i) eight += get;
    ASSERT_TRUE(stalled->Send(eight));
    for (int i = 0; i < 8; ++i) {
      auto live = RawRequest(port(), "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n", seconds(5));
      ASSERT_TRUE(live) << "request " << i << " waited on the stalled client";
      EXPECT_EQ(live->status, 200);
      auto file = RawRequest(port(),
                             "GET /modules/acme/versions/v1.0.0/files/acme/a.proto HTTP/1.1\r\n"
                             "Host: x\r\n\r\n",
                             seconds(5));
      ASSERT_TRUE(file) << "request " << i << " waited on the stalled client";
      EXPECT_EQ(file->body, kGoodFiles[0].second);
    }
    // The stalled client then reads its answers, whole and in order.
    for (int i = 0; i < 8; ++i) {
      auto answer = stalled->Read(seconds(30));
      ASSERT_TRUE(answer) << "answer " << i;
      EXPECT_EQ(answer->status, 200);
      EXPECT_EQ(answer->body.size(), content.size());
      EXPECT_TRUE(answer->body == content) << "answer " << i << " differs from the file";
    }
  }
}

// An event loop serves a connection a burst of requests at a time, then turns to its other
// connections and comes back: requests pipelined far beyond a burst are all answered, in order.
TEST_F(HttpHardening, RequestsPipelinedBeyondABurstAreAllAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string live = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string file =
      "GET /modules/acme/versions/v1.0.0/files/acme/a.proto HTTP/1.1\r\nHost: x\r\n\r\n";
  auto warm = RawRequest(port(), file);  // the file in the store's memory: served on the loop
  ASSERT_TRUE(warm);
  auto connection = RawConnection::Open(port());
  ASSERT_TRUE(connection);
  std::string pipeline;
  for (int i = 0; i < 100; ++i) pipeline += i % 3 == 2 ? live : file;
  ASSERT_TRUE(connection->Send(pipeline));
  for (int i = 0; i < 100; ++i) {
    auto answer = connection->Read(seconds(10));
    ASSERT_TRUE(answer) << "answer " << i << " missing";
    ASSERT_EQ(answer->status, 200) << "answer " << i;
    if (i % 3 == 2) {
      EXPECT_TRUE(Contains(answer->body, "\"ok\"")) << "answer " << i << ": " << answer->body;
    } else {
      EXPECT_EQ(answer->body, kGoodFiles[0].second) << "answer " << i;
    }
  }
}

TEST_F(HttpHardening, PipelinedQuickAndOtherRequestsAreAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto connection = RawConnection::Open(port());
  ASSERT_TRUE(connection);
  const std::string file =
      "GET /modules/acme/versions/v1.0.0/files/acme/a.proto HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(connection->Send(file + "GET /modules/acme HTTP/1.1\r\nHost: x\r\n\r\n" + file +
                               "GET /modules/acme/versions/v1.0.0/files/acme/none.proto "
                               "HTTP/1.1\r\nHost: x\r\n\r\n" +
                               "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n" + file));
  std::vector<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    auto answer = connection->Read(seconds(5));
    ASSERT_TRUE(answer) << "answer " << i << " missing";
    seen.push_back(std::to_string(answer->status) + " " +
                   (answer->body == kGoodFiles[0].second           ? "file"
                    : Contains(answer->body, "\"name\": \"acme\"") ? "module"
                    : Contains(answer->body, "\"ok\"")             ? "live"
                                                                   : "other"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"200 file", "200 module", "200 file", "404 other",
                                            "200 live", "200 file"}));
}

// --- Framing -----------------------------------------------------------------------------------

struct FramingCase {
  std::string name;
  std::string request;
  int status;
  std::string message;  // part of the error message
};

TEST_F(HttpHardening, MalformedOrAmbiguousFramingIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string push = "POST /sync/v1/push HTTP/1.1\r\nHost: x\r\n";
  const std::vector<FramingCase> cases = {
      {"two different lengths", push + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400,
       "conflicting Content-Length"},
      {"a list of different lengths", push + "Content-Length: 5, 6\r\n\r\nhello!", 400,
       "conflicting Content-Length"},
      {"negative length", push + "Content-Length: -1\r\n\r\n", 400, "invalid Content-Length"},
      {"overflowing length", push + "Content-Length: 184467440737095516160\r\n\r\n", 400,
       "invalid Content-Length"},
      {"length in hex", push + "Content-Length: 0x10\r\n\r\n", 400, "invalid Content-Length"},
      {"empty length", push + "Content-Length: \r\n\r\n", 400, "Content-Length"},
      {"unknown transfer coding", push + "Transfer-Encoding: gzip\r\n\r\n", 501, "not supported"},
      {"coding before chunked", push + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501,
       "not supported"},
      {"chunked and a length",
       push + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400,
       "both Transfer-Encoding and Content-Length"},
      {"chunked in HTTP/1.0",
       "POST /sync/v1/push HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "HTTP/1.0"},
      {"bad chunk size", push + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400,
       "chunk size"},
      {"chunk longer than its size",
       push + "Transfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n", 400,
       "longer than its size"},
      {"header line without a colon", "GET /modules HTTP/1.1\r\nHost: x\r\nX-Broken\r\n\r\n", 400,
       "without a colon"},
      {"space before the colon", "GET /modules HTTP/1.1\r\nHost: x\r\nX-Broken : 1\r\n\r\n", 400,
       "malformed header name"},
      {"obsolete line folding", "GET /modules HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n",
       400, "folding"},
      {"bare CR in a header", "GET /modules HTTP/1.1\r\nHost: x\r\nX-A: 1\rX-B: 2\r\n\r\n", 400,
       "bare CR"},
      {"no Host in HTTP/1.1", "GET /modules HTTP/1.1\r\n\r\n", 400, "Host"},
      {"two Host headers", "GET /modules HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host"},
      {"HTTP/2.0 on the wire", "GET /modules HTTP/2.0\r\nHost: x\r\n\r\n", 505, "not supported"},
      {"malformed version", "GET /modules HTTP/1.1x\r\nHost: x\r\n\r\n", 400, "HTTP version"},
      {"two spaces in the request line", "GET  /modules HTTP/1.1\r\nHost: x\r\n\r\n", 400,
       "request line"},
      {"unknown method", "BREW /modules HTTP/1.1\r\nHost: x\r\n\r\n", 501, "not implemented"},
      {"lower-case method", "get /modules HTTP/1.1\r\nHost: x\r\n\r\n", 501, "not implemented"},
      {"target not a path", "GET modules HTTP/1.1\r\nHost: x\r\n\r\n", 400, "must be a path"},
      {"malformed escape", "GET /modules/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "escape"},
      {"escaped NUL", "GET /modules/a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "escape"},
      {"target too long", "GET /" + std::string(10000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414,
       "longer than"},
      {"head too large",
       "GET /modules HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n", 431,
       "larger than"},
      {"too many header lines",
       [] {
         std::string r = "GET /modules HTTP/1.1\r\nHost: x\r\n";
         for (int i = 0; i < 150; ++i) r += "X-" + std::to_string(i) + ": 1\r\n";
         return r + "\r\n";
       }(),
       431, "header lines"},
      {"unsupported expectation", "GET /modules HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417,
       "Expect"},
      {"method not allowed", "DELETE /modules HTTP/1.1\r\nHost: x\r\n\r\n", 405, "not allowed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto answer = RawRequest(port(), c.request, seconds(5));
    ASSERT_TRUE(answer) << "no answer within 5 s";
    EXPECT_EQ(answer->status, c.status) << answer->body;
    EXPECT_NE(ErrorCode(*answer), "internal") << answer->body;
    EXPECT_NE(ErrorCode(*answer), "") << "not a JSON error: " << answer->body;
    EXPECT_TRUE(Contains(ErrorMessage(*answer), c.message)) << answer->body;
  }
}

TEST_F(HttpHardening, PipelinedRequestsAreAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto connection = RawConnection::Open(port());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(
      connection->Send("GET /modules/acme HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /modules/nope HTTP/1.1\r\nHost: x\r\n\r\n"
                       "POST /modules HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
                       "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i) {
    auto answer = connection->Read(seconds(5));
    ASSERT_TRUE(answer) << "answer " << i << " missing";
    statuses.push_back(answer->status);
    if (i == 0) {
      EXPECT_TRUE(Contains(answer->body, "\"name\": \"acme\"")) << answer->body;
    }
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 404, 400, 200}));
}

// --- Writes cannot skip the gate ---------------------------------------------------------------

TEST_F(HttpHardening, CompilesOnAReadOnlyServerAreRefused) {
  ASSERT_NO_FATAL_FAILURE(Start());
  server_->Stop();
  server_ = ServerProcess::Start({work_.Sub("storage"), {"--read-only"}, {}});
  ASSERT_TRUE(server_);
  auto compile = RawRequest(port(), Post("/modules/acme/versions/v1.0.0/compile/cpp", "", ""));
  ASSERT_TRUE(compile);
  EXPECT_EQ(compile->status, 403) << compile->body;
  EXPECT_TRUE(Contains(ErrorMessage(*compile), "read-only")) << compile->body;
  auto download = RawRequest(
      port(), "GET /modules/acme/versions/v1.0.0/download/python HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(download);
  EXPECT_EQ(download->status, 403) << download->body;
  EXPECT_TRUE(Contains(ErrorMessage(*download), "read-only")) << download->body;
}

TEST_F(HttpHardening, CompilesNeedTheTokenButCachedDownloadsDoNot) {
  ASSERT_NO_FATAL_FAILURE(Start({}, {{"SPOKE_TOKEN", "s3cret"}}));
  auto compile = RawRequest(port(), Post("/modules/acme/versions/v1.0.0/compile/cpp", "", ""));
  ASSERT_TRUE(compile);
  EXPECT_EQ(compile->status, 401) << compile->body;
  const std::string download =
      "GET /modules/acme/versions/v1.0.0/download/python HTTP/1.1\r\nHost: x\r\n";
  auto anonymous = RawRequest(port(), download + "\r\n");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401) << anonymous->body;
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before_) << "a refused compile wrote an artifact";
  auto with_token =
      RawRequest(port(), download + "Authorization: Bearer s3cret\r\n\r\n", seconds(60));
  ASSERT_TRUE(with_token);
  EXPECT_EQ(with_token->status, 200) << with_token->body;
  auto cached = RawRequest(port(), download + "\r\n", seconds(60));
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->status, 200) << cached->body;
  EXPECT_EQ(cached->body, with_token->body);
  refs_before_ = RefsOf(work_.Sub("storage"));
}

// --- Where and how the server listens ----------------------------------------------------------

std::unique_ptr<Process> StartServerWith(const std::vector<std::string>& args,
                                         const Env& env = {}) {
  std::vector<std::string> argv{SPOKE_SERVER_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return Process::Start({argv, env, ""});
}

TEST(ServerDefaults, ListensOnLoopbackUnlessToldOtherwise) {
  TempDir work;
  auto server = StartServerWith({"-port", "0", "-storage-dir", work.Sub("storage"), "-q"});
  ASSERT_TRUE(server);
  auto line = server->WaitForLine(Process::Stream::kStdout, "spoke-server: serving ");
  ASSERT_TRUE(line) << server->Stderr();
  EXPECT_TRUE(Contains(*line, "on http://127.0.0.1:")) << *line;
}

TEST(ServerDefaults, RefusesAnOpenHostWithoutAToken) {
  TempDir work;
  auto open = StartServerWith(
      {"-port", "0", "--host", "0.0.0.0", "-storage-dir", work.Sub("storage"), "-q"});
  ASSERT_TRUE(open);
  EXPECT_EQ(open->WaitForExit(), 2);
  EXPECT_TRUE(Contains(open->Stderr(), "--allow-anonymous-writes")) << open->Stderr();
  for (const auto& extra :
       std::vector<std::vector<std::string>>{{"--allow-anonymous-writes"}, {"--read-only"}}) {
    std::vector<std::string> args{
        "-port", "0", "--host", "0.0.0.0", "-storage-dir", work.Sub("storage"), "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto allowed = StartServerWith(args);
    ASSERT_TRUE(allowed);
    EXPECT_TRUE(allowed->WaitForLine(Process::Stream::kStdout, "spoke-server: serving "))
        << allowed->Stderr();
  }
  auto with_token = StartServerWith(
      {"-port", "0", "--host", "0.0.0.0", "-storage-dir", work.Sub("storage"), "-q"},
      {{"SPOKE_TOKEN", "t0ken"}});
  ASSERT_TRUE(with_token);
  EXPECT_TRUE(with_token->WaitForLine(Process::Stream::kStdout, "spoke-server: serving "))
      << with_token->Stderr();
}

TEST(ServerDefaults, ASecondServerOnTheSamePortFails) {
  TempDir work;
  auto first = ServerProcess::Start({work.Sub("one"), {}, {}});
  ASSERT_TRUE(first);
  auto second = StartServerWith({"-port", std::to_string(first->port()), "--host", "127.0.0.1",
                                 "-storage-dir", work.Sub("two"), "-q"});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->WaitForExit(), 1);
  EXPECT_TRUE(Contains(second->Stderr(), "address in use")) << second->Stderr();
}

TEST(ServerDefaults, ATokenOnTheCommandLineWarnsAndATokenFileWorks) {
  TempDir work;
  auto flagged = ServerProcess::Start({work.Sub("one"), {"--token", "visible"}, {}});
  ASSERT_TRUE(flagged);
  EXPECT_TRUE(flagged->process().WaitForLine(Process::Stream::kStderr, "visible to every user"))
      << flagged->process().Stderr();

  { std::ofstream(work.Sub("token")) << "from-a-file\n"; }
  auto filed = ServerProcess::Start({work.Sub("two"), {"--token-file", work.Sub("token")}, {}});
  ASSERT_TRUE(filed);
  const std::string body = UploadBody("v1.0.0", kGoodFiles).Dump();
  auto refused = RawRequest(
      filed->port(), Post("/modules/acme/versions", "Authorization: Bearer visible\r\n", body));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  auto accepted = RawRequest(
      filed->port(), Post("/modules/acme/versions", "Authorization: Bearer from-a-file\r\n", body));
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 201) << accepted->body;
}

// The received bodies under spoke-incoming (a push's pack is streamed to one such file).
std::vector<std::filesystem::path> ReceivedBodies(const std::string& storage) {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(storage + "/spoke-incoming", ec)) {
    if (entry.path().filename().string().rfind("body-", 0) == 0) found.push_back(entry.path());
  }
  return found;
}

TEST(ServerDefaults, AServerKilledMidBodyLeavesNothingBehindOnceRestarted) {
  TempDir work;
  const std::string storage = work.Sub("storage");
  auto server = ServerProcess::Start({storage, {}, {}});
  ASSERT_TRUE(server);
  auto connection = RawConnection::Open(server->port());
  ASSERT_TRUE(connection);
  const std::string part(1 << 20, 'p');
  ASSERT_TRUE(
      connection->Send("POST /sync/v1/push HTTP/1.1\r\nHost: x\r\n"
                       "Content-Length: 8388608\r\n\r\n" +
                       part));
  // The condition: the server is writing the body to its file.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool writing = false;
  while (!writing && std::chrono::steady_clock::now() < deadline) {
    for (const auto& body : ReceivedBodies(storage)) {
      std::error_code ec;
      writing = writing || std::filesystem::file_size(body, ec) > 0;
    }
    if (!writing) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(writing) << "the body never reached a file";
  server->Kill();
  ASSERT_FALSE(ReceivedBodies(storage).empty()) << "nothing left to sweep: the test proves nothing";

  auto restarted = ServerProcess::Start({storage, {}, {}});
  ASSERT_TRUE(restarted);
  EXPECT_TRUE(ReceivedBodies(storage).empty()) << "a dead server's body file outlived a restart";
  GitFsck(storage);
}

}  // namespace
}  // namespace spoke::e2e
