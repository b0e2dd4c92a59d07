// The ref list under several prefixes (docs/protocol.md, "List refs"): one request for a version's
// tag and its module's branch, and a client that still works with a registry that takes only the
// first prefix of a request (one older than repeated prefixes). A proxy in the test process stands
// between the CLI and a real spoke-server, counts the ref lists asked for and, when told to, plays
// the older registry.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "e2e_util.h"
#include "harness.h"
#include "spoke/remote.h"

namespace spoke::e2e {
namespace {

// Forwards every request to the registry on `upstream_port`. As an older registry, it keeps only
// the first `prefix` of a ref list request and answers without "prefixes".
class RegistryProxy {
 public:
  RegistryProxy(int upstream_port, bool older)
      : upstream_(HttpClient(upstream_port)), older_(older) {
    upstream_->set_read_timeout(60, 0);
    upstream_->set_write_timeout(60, 0);
    auto forward = [this](const httplib::Request& req, httplib::Response& res) {
      Forward(req, res);
    };
    server_.Get(".*", forward);
    server_.Post(".*", forward);
    server_.Put(".*", forward);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }

  ~RegistryProxy() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int ref_lists() const { return ref_lists_; }
  int ref_lists_with_several_prefixes() const { return several_; }

 private:
  void Forward(const httplib::Request& req, httplib::Response& res) {
    const bool ref_list = req.path == "/sync/v1/refs";
    std::string query;
    int prefixes = 0;
    for (const auto& [key, value] : req.params) {
      if (key == "prefix" && ++prefixes > 1 && older_) continue;
      query += (query.empty() ? "?" : "&") + key + "=" + EncodeQueryValue(value);
    }
    if (ref_list) {
      ++ref_lists_;
      if (prefixes > 1) ++several_;
    }
    httplib::Headers headers;
    if (req.has_header("Authorization"))
      headers.emplace("Authorization", req.get_header_value("Authorization"));
    const std::string target = req.path + query;
    const std::string type = req.get_header_value("Content-Type");
    httplib::Result answer = req.method == "GET" ? upstream_->Get(target, headers)
                             : req.method == "POST"
                                 ? upstream_->Post(target, headers, req.body, type)
                                 : upstream_->Put(target, headers, req.body, type);
    if (!answer) {
      res.status = 502;
      return;
    }
    res.status = answer->status;
    std::string body = answer->body;
    if (ref_list && older_ && answer->status == 200) {
      // An older registry's answer: the refs of the first prefix, and no "prefixes".
      Json parsed = ParseJson(body);
      Json older = Json::MakeObject();
      older.Set("protocol", 1);
      older.Set("refs", parsed.Get("refs") ? *parsed.Get("refs") : Json::MakeArray());
      body = older.Dump();
    }
    res.set_content(body, answer->get_header_value("Content-Type"));
  }

  std::unique_ptr<httplib::Client> upstream_;
  const bool older_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> ref_lists_{0}, several_{0};
};

class RefList : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    WriteFiles(work_.Sub("v1"), {{"user.proto", "syntax = \"proto3\";\nmessage User {}\n"}});
    WriteFiles(work_.Sub("v2"), {{"user.proto",
                                  "syntax = \"proto3\";\nmessage User {}\n"
                                  "message Group {}\n"}});
  }

  CommandResult Push(const CliUser& user, const std::string& version, const std::string& dir) {
    return user.Run({"push", "-module", "user", "-version", version, "-dir", work_.Sub(dir)});
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(RefList, SeveralPrefixesAreAnsweredInOneListWithEachRefOnce) {
  CliUser user(work_.Sub("home"), server_->url());
  ASSERT_EQ(Push(user, "v1.0.0", "v1").exit_code, 0);
  auto res = http_->Get(
      "/sync/v1/refs?prefix=refs/tags/user/&prefix=refs/heads/user/_history&prefix=refs/tags/");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  Json answer = ParseJson(res->body);
  ASSERT_TRUE(answer.Get("prefixes") && answer.Get("prefixes")->is_array());
  EXPECT_EQ(answer.Get("prefixes")->as_array().size(), 3u);
  std::vector<std::string> names;
  for (const Json& ref : answer.Get("refs")->as_array()) names.push_back(ref.GetString("name"));
  EXPECT_EQ(names, (std::vector<std::string>{"refs/heads/user/_history", "refs/tags/user/v1.0.0"}));
}

TEST_F(RefList, MoreThan64PrefixesAreRefused) {
  std::string path = "/sync/v1/refs?prefix=refs/tags/a/";
  for (int i = 0; i < 64; ++i) path += "&prefix=refs/tags/m" + std::to_string(i) + "/";
  EXPECT_EQ(ExpectJsonError(http_->Get(path), 400), "invalid_argument");
}

TEST_F(RefList, APushOfANewVersionListsRefsOnce) {
  RegistryProxy proxy(server_->port(), /*older=*/false);
  CliUser user(work_.Sub("home"), proxy.url());
  ASSERT_EQ(Push(user, "v1.0.0", "v1").exit_code, 0);
  const int before = proxy.ref_lists();
  CommandResult pushed = Push(user, "v1.1.0", "v2");
  ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
  EXPECT_EQ(proxy.ref_lists() - before, 1);
  EXPECT_GE(proxy.ref_lists_with_several_prefixes(), 1);
}

TEST_F(RefList, TheClientWorksWithARegistryThatTakesTheFirstPrefixOnly) {
  RegistryProxy older(server_->port(), /*older=*/true);
  CliUser publisher(work_.Sub("publisher"), older.url());
  CommandResult first = Push(publisher, "v1.0.0", "v1");
  ASSERT_EQ(first.exit_code, 0) << first.Describe();
  // Building on the branch needs its tip, which only the second, separate request lists.
  CommandResult second = Push(publisher, "v1.1.0", "v2");
  ASSERT_EQ(second.exit_code, 0) << second.Describe();
  CliUser reader(work_.Sub("reader"), older.url());
  CommandResult pulled =
      reader.Run({"pull", "-module", "user", "-version", "v1.1.0", "-dir", work_.Sub("out")});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.Describe();
  EXPECT_EQ(ReadFiles(work_.Sub("out"))["user.proto"], ReadFiles(work_.Sub("v2"))["user.proto"]);
  CommandResult log = reader.Run({"log", "-module", "user", "--offline"});
  EXPECT_TRUE(Contains(log.out, "v1.0.0")) << log.Describe();
  EXPECT_GE(older.ref_lists_with_several_prefixes(), 1);
}

}  // namespace
}  // namespace spoke::e2e
