// The sync protocol without sockets: a real registry (Server::Create over a store in a temp dir,
// never bound to a port) answers RemoteClient through InProcessTransport, the in-memory twin of the
// HTTP transport. Clone, fetch, push, refused pushes, malformed bodies with their HTTP status, and
// the client's progress callbacks.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "in_process_transport.h"
#include "spoke/remote.h"
#include "spoke/server.h"
#include "spoke/store.h"
#include "spoke/sync.h"
#include "test_support.h"
#include "wire.h"

namespace spoke {
namespace {

using testing::MakeRequest;
using testing::StatusOf;
using testing::TempDir;

FileSet UserFiles(const std::string& comment) {
  return {{"acme/user/v1/user.proto",
           "syntax = \"proto3\";\npackage acme.user.v1;\n// " + comment + "\nmessage User {}\n"}};
}

struct Progress {
  std::string phase;
  uint64_t done = 0;
  uint64_t total = 0;
};

class SyncInProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.storage_dir = dir_.Sub("registry");
    options.access_log = false;
    options.validate_compile = false;
    auto registry = Server::Create(options);
    ASSERT_TRUE(registry.ok()) << registry.status().ToString();
    registry_ = std::move(*registry);
    client_ = NewClient();
    ASSERT_NE(client_, nullptr);
  }

  // A client whose requests this registry answers in process; `transport_` is its transport.
  std::unique_ptr<RemoteClient> NewClient(const std::string& token = "") {
    RemoteOptions options;
    options.url = "http://registry.test";
    options.token = token;
    options.progress = [this](const char* phase, uint64_t done, uint64_t total) {
      progress_.push_back({phase, done, total});
    };
    auto transport = std::make_unique<InProcessTransport>(RegistryApi(*registry_));
    transport_ = transport.get();
    auto client = RemoteClient::Create(options, std::move(transport));
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  std::unique_ptr<Store> LocalStore(const std::string& name) {
    auto store = Store::Open(dir_.Sub(name), /*create=*/true);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // One exchange with the registry, outside RemoteClient, to see the HTTP status itself.
  HttpAnswer Post(const std::string& path, const std::string& content_type,
                  const std::string& body) {
    InProcessTransport transport(RegistryApi(*registry_));
    HttpRequest request;
    request.method = "POST";
    request.path = path;
    request.content_type = content_type;
    request.body = body;
    return transport.Send(request);
  }

  // A pack of `version` and the ref updates that would publish it in an empty registry.
  std::pair<std::string, std::vector<RefUpdate>> PackOf(Store& store, const VersionInfo& version) {
    auto pack = store.BuildPack({version.tag_id, version.commit_id}, {}, nullptr);
    EXPECT_TRUE(pack.ok()) << pack.status().ToString();
    return {pack.ok() ? *pack : std::string(),
            {{VersionTagRef(version.module, version.version), "", version.tag_id},
             {ModuleBranchRef(version.module), "", version.commit_id}}};
  }

  TempDir dir_;
  std::unique_ptr<Server> registry_;
  std::unique_ptr<RemoteClient> client_;
  InProcessTransport* transport_ = nullptr;
  std::vector<Progress> progress_;
};

TEST_F(SyncInProcessTest, APushedVersionIsInTheRegistryAndACloneCopiesIt) {
  auto author = LocalStore("author");
  auto pushed = PushVersion(*author, *client_, MakeRequest("acme/user", "v1.0.0", UserFiles("1")));
  SPOKE_ASSERT_OK(pushed);
  EXPECT_TRUE(pushed->created);
  EXPECT_GT(pushed->pack_bytes, 0u);
  auto in_registry = registry_->store().GetVersion("acme/user", "v1.0.0");
  SPOKE_ASSERT_OK(in_registry);
  EXPECT_EQ(in_registry->tag_id, pushed->version.tag_id);

  // A clone: every ref of the registry, in one listing and one pack.
  auto reader = LocalStore("reader");
  auto reader_client = NewClient();
  auto cloned = FetchPrefixes(*reader, *reader_client, {"refs/"});
  SPOKE_ASSERT_OK(cloned);
  EXPECT_EQ(transport_->exchanges(), 2u);
  EXPECT_GT(cloned->pack_bytes, 0u);
  auto copy = reader->GetVersion("acme/user", "v1.0.0");
  SPOKE_ASSERT_OK(copy);
  EXPECT_EQ(copy->tag_id, pushed->version.tag_id);
  EXPECT_EQ(reader->ReadFiles(*copy).value(), UserFiles("1"));
  EXPECT_TRUE(reader->HasCompleteClosure(copy->tag_id));
}

TEST_F(SyncInProcessTest, AFetchBringsWhatIsNewAndThenNothing) {
  auto author = LocalStore("author");
  SPOKE_ASSERT_OK(
      PushVersion(*author, *client_, MakeRequest("acme/user", "v1.0.0", UserFiles("1"))));
  auto reader = LocalStore("reader");
  SPOKE_ASSERT_OK(FetchPrefixes(*reader, *client_, ModulePrefixes("acme/user")));

  SPOKE_ASSERT_OK(
      PushVersion(*author, *client_, MakeRequest("acme/user", "v1.1.0", UserFiles("2"))));
  auto fetched = FetchPrefixes(*reader, *client_, ModulePrefixes("acme/user"));
  SPOKE_ASSERT_OK(fetched);
  EXPECT_GT(fetched->pack_bytes, 0u);
  bool tag_created = false;
  for (const auto& ref : fetched->refs) {
    if (ref.name == VersionTagRef("acme/user", "v1.1.0"))
      tag_created = ref.change == RefChange::kCreated;
  }
  EXPECT_TRUE(tag_created);
  EXPECT_EQ(reader->ListVersions("acme/user").value(),
            (std::vector<std::string>{"v1.0.0", "v1.1.0"}));

  auto again = FetchPrefixes(*reader, *client_, ModulePrefixes("acme/user"));
  SPOKE_ASSERT_OK(again);
  EXPECT_EQ(again->pack_bytes, 0u);
}

TEST_F(SyncInProcessTest, PushingDifferentContentUnderAnExistingVersionIsRefused) {
  auto author = LocalStore("author");
  auto first = PushVersion(*author, *client_, MakeRequest("acme/user", "v1.0.0", UserFiles("1")));
  SPOKE_ASSERT_OK(first);
  auto same = PushVersion(*author, *client_, MakeRequest("acme/user", "v1.0.0", UserFiles("1")));
  SPOKE_ASSERT_OK(same);
  EXPECT_FALSE(same->created);

  auto other_author = LocalStore("other");
  auto different =
      PushVersion(*other_author, *client_, MakeRequest("acme/user", "v1.0.0", UserFiles("2")));
  EXPECT_EQ(different.status().code(), Status::Code::kAlreadyExists)
      << different.status().ToString();
  EXPECT_EQ(registry_->store().GetVersion("acme/user", "v1.0.0").value().tag_id,
            first->version.tag_id);

  // The raw protocol: a tag update expecting absence where the tag exists loses its swap.
  auto version =
      other_author->PrepareVersion(MakeRequest("acme/user", "v1.0.0", UserFiles("3")), "");
  SPOKE_ASSERT_OK(version);
  auto pack = other_author->BuildPack({version->tag_id, version->commit_id}, {}, nullptr);
  SPOKE_ASSERT_OK(pack);
  auto refused =
      client_->Push(*pack, {{VersionTagRef("acme/user", "v1.0.0"), "", version->tag_id}});
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(registry_->store().GetVersion("acme/user", "v1.0.0").value().tag_id,
            first->version.tag_id);
}

TEST_F(SyncInProcessTest, ATruncatedPackIsAnsweredWith422AndChangesNothing) {
  auto author = LocalStore("author");
  auto put = author->PutVersion(MakeRequest("acme/user", "v1.0.0", UserFiles("1")));
  SPOKE_ASSERT_OK(put);
  auto [pack, updates] = PackOf(*author, put->version);
  ASSERT_GT(pack.size(), 40u);
  const std::string truncated = pack.substr(0, pack.size() / 2);

  HttpAnswer answer =
      Post(wire::kPushPath, wire::kPushContentType, wire::EncodePushHeader(updates) + truncated);
  EXPECT_EQ(answer.status, 422) << answer.body;
  EXPECT_EQ(wire::StatusFromErrorResponse(answer.status, answer.body).code(),
            Status::Code::kCorruption)
      << answer.body;
  auto through_client = client_->Push(truncated, updates);
  EXPECT_EQ(through_client.status().code(), Status::Code::kCorruption)
      << through_client.status().ToString();
  EXPECT_EQ(registry_->store().ListModules().value(), std::vector<std::string>{});

  // The whole pack then goes in.
  auto accepted = client_->Push(pack, updates);
  SPOKE_ASSERT_OK(accepted);
  EXPECT_EQ(accepted->size(), 2u);
}

TEST_F(SyncInProcessTest, MalformedBodiesAreAnswered400) {
  HttpAnswer no_header = Post(wire::kPushPath, wire::kPushContentType, "PACK without a header");
  EXPECT_EQ(no_header.status, 400) << no_header.body;
  EXPECT_EQ(wire::StatusFromErrorResponse(no_header.status, no_header.body).code(),
            Status::Code::kInvalidArgument);

  HttpAnswer bad_header = Post(wire::kPushPath, wire::kPushContentType, "{\"updates\": 7}\nPACK");
  EXPECT_EQ(bad_header.status, 400) << bad_header.body;

  HttpAnswer bad_fetch = Post(wire::kFetchPath, "application/json", "{\"wants\": [\"nope\"]}");
  EXPECT_EQ(bad_fetch.status, 400) << bad_fetch.body;

  HttpAnswer no_route = Post("/sync/v1/nothing", "application/json", "{}");
  EXPECT_EQ(no_route.status, 404) << no_route.body;
}

TEST_F(SyncInProcessTest, TheGateAndTheTokenApplyInProcessToo) {
  registry_.reset();
  ServerOptions options;
  options.storage_dir = dir_.Sub("guarded");
  options.access_log = false;
  options.validate_compile = false;
  options.token = "secret";
  auto registry = Server::Create(options);
  SPOKE_ASSERT_OK(registry);
  registry_ = std::move(*registry);
  auto author = LocalStore("author");
  auto anonymous = NewClient();
  auto refused =
      PushVersion(*author, *anonymous, MakeRequest("acme/user", "v1.0.0", UserFiles("1")));
  EXPECT_EQ(refused.status().code(), Status::Code::kPermissionDenied)
      << refused.status().ToString();
  auto with_token = NewClient("secret");
  SPOKE_EXPECT_OK(
      PushVersion(*author, *with_token, MakeRequest("acme/user", "v1.0.0", UserFiles("1"))));
}

TEST_F(SyncInProcessTest, ProgressIsReportedForSendingAndReceiving) {
  auto author = LocalStore("author");
  SPOKE_ASSERT_OK(
      PushVersion(*author, *client_, MakeRequest("acme/user", "v1.0.0", UserFiles("1"))));
  std::vector<Progress> sending;
  for (const auto& p : progress_) {
    if (p.phase == "Sending") sending.push_back(p);
  }
  ASSERT_FALSE(sending.empty());
  EXPECT_EQ(sending.back().done, sending.back().total);
  EXPECT_GT(sending.back().total, 0u);

  progress_.clear();
  auto reader = LocalStore("reader");
  auto fetched = FetchPrefixes(*reader, *client_, {"refs/"});
  SPOKE_ASSERT_OK(fetched);
  uint64_t last = 0;
  bool receiving = false;
  for (const auto& p : progress_) {
    if (p.phase != "Receiving") continue;
    receiving = true;
    EXPECT_GE(p.done, last);
    last = p.done;
  }
  ASSERT_TRUE(receiving);
  EXPECT_EQ(last, fetched->pack_bytes);
}

TEST_F(SyncInProcessTest, AFetchedPackOverTheClientsBoundIsTooLargeAndCutShort) {
  auto author = LocalStore("author");
  auto pushed = PushVersion(*author, *client_, MakeRequest("acme/user", "v1.0.0", UserFiles("1")));
  SPOKE_ASSERT_OK(pushed);
  RemoteOptions options;
  options.url = "http://registry.test";
  options.max_pack_bytes = 16;
  auto bounded =
      RemoteClient::Create(options, std::make_unique<InProcessTransport>(RegistryApi(*registry_)));
  SPOKE_ASSERT_OK(bounded);
  const std::string path = dir_.Sub("fetched.pack");
  auto size = (*bounded)->FetchPackToFile({pushed->version.tag_id}, {}, path);
  EXPECT_EQ(size.status().code(), Status::Code::kTooLarge) << size.status().ToString();
}

TEST(InProcessTransport, ACallbackReturningFalseCancelsTheExchange) {
  TempDir dir;
  ServerOptions options;
  options.storage_dir = dir.Sub("registry");
  options.access_log = false;
  auto registry = Server::Create(options);
  SPOKE_ASSERT_OK(registry);
  InProcessTransport transport(RegistryApi(**registry));
  HttpRequest request;
  request.method = "GET";
  request.path = std::string(wire::kRefsPath) + "?prefix=refs/";
  int started_with = 0;
  request.started = [&started_with](int status) {
    started_with = status;
    return false;
  };
  HttpAnswer answer = transport.Send(request);
  EXPECT_EQ(started_with, 200);
  EXPECT_EQ(answer.status, 0);
  EXPECT_EQ(answer.error, "Canceled");

  // Without callbacks the body is collected; with a receiver it is handed over instead.
  request.started = nullptr;
  HttpAnswer collected = transport.Send(request);
  EXPECT_EQ(collected.status, 200);
  auto json = Json::Parse(collected.body);
  SPOKE_ASSERT_OK(json);
  EXPECT_EQ(wire::RefsFromJson(*json).value().size(), 0u);
  std::string received;
  uint64_t announced = 0;
  request.receive = [&received, &announced](const char* data, size_t length, uint64_t,
                                            uint64_t total) {
    received.append(data, length);
    announced = total;
    return true;
  };
  answer = transport.Send(request);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "");
  EXPECT_EQ(received, collected.body);
  EXPECT_EQ(announced, collected.body.size());
  request.receive = [](const char*, size_t, uint64_t, uint64_t) { return false; };
  answer = transport.Send(request);
  EXPECT_EQ(answer.status, 0);
  EXPECT_EQ(answer.error, "Canceled");
  EXPECT_EQ(transport.exchanges(), 4u);
}

}  // namespace
}  // namespace spoke
