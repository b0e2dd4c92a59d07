// What the dependency tests share (dependencies_test.cc, import_resolution_test.cc,
// batch_push_test.cc): a registry with a publisher and a reader, pushes from fresh directories,
// the JSON helpers, and the modules of the original scenario (common, order importing it, app
// importing order).
#ifndef SPOKE_TESTS_E2E_DEPS_FIXTURE_H_
#define SPOKE_TESTS_E2E_DEPS_FIXTURE_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "e2e_util.h"
#include "harness.h"
#include "spoke/json.h"

namespace spoke::e2e {

inline const FileSet kCommonV1 = {
    {"common/types.proto",
     "syntax = \"proto3\";\npackage common;\n\nmessage Id {\n  string value = 1;\n}\n"}};
inline const FileSet kCommonV2 = {{"common/types.proto",
                                   "syntax = \"proto3\";\npackage common;\n\nmessage Id {\n  "
                                   "string value = 1;\n  int64 shard = 2;\n}\n"}};
// The import is on line 3, column 1.
inline const FileSet kOrderV1 = {
    {"order/order.proto",
     "syntax = \"proto3\";\npackage order;\nimport \"common/types.proto\";\n\n"
     "message Order {\n  common.Id id = 1;\n}\n"}};
inline const FileSet kOrderV11 = {
    {"order/order.proto",
     "syntax = \"proto3\";\npackage order;\nimport \"common/types.proto\";\n\n"
     "message Order {\n  common.Id id = 1;\n  string note = 2;\n}\n"}};
inline const FileSet kApp = {
    {"app/app.proto",
     "syntax = \"proto3\";\npackage app;\nimport \"order/order.proto\";\n\n"
     "message Cart {\n  repeated order.Order orders = 1;\n}\n"}};

// The value at `key` of a JSON object, or null.
inline Json At(const Json& json, const std::string& key) {
  const Json* value = json.Get(key);
  return value ? *value : Json();
}

struct Pin {
  std::string version, commit, digest;
};

inline std::string LockText(const std::map<std::string, Pin>& pins) {
  Json versions = Json::MakeObject(), by_module = Json::MakeObject();
  for (const auto& [module, pin] : pins) {
    versions.Set(module, pin.version);
    Json entry = Json::MakeObject();
    entry.Set("commit", pin.commit);
    entry.Set("digest", pin.digest);
    by_module.Set(module, std::move(entry));
  }
  Json lock = Json::MakeObject();
  lock.Set("format", 1);
  lock.Set("dependencies", std::move(versions));
  lock.Set("pins", std::move(by_module));
  return lock.Dump(2) + "\n";
}

class DependencyFixture : public ::testing::Test {
 protected:
  void StartServer(const std::vector<std::string>& extra_args = {}) {
    server_ = ServerProcess::Start({work_.Sub("storage"), extra_args, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    publisher_ = std::make_unique<CliUser>(work_.Sub("publisher-home"), server_->url());
    reader_ = std::make_unique<CliUser>(work_.Sub("reader-home"), server_->url());
  }

  void TearDown() override {
    if (server_) GitFsck(work_.Sub("storage"));
  }

  // Writes `files` to a fresh source directory and pushes them with --json.
  CommandResult Push(const std::string& module, const std::string& version, const FileSet& files,
                     const std::vector<std::string>& deps = {}) {
    std::string dir = work_.Sub("src/" + module + "/" + version);
    WriteFiles(dir, files);
    std::vector<std::string> args = {"push",  "-module", module, "-version",
                                     version, "-dir",    dir,    "--json"};
    for (const auto& dep : deps) args.insert(args.end(), {"-dep", dep});
    return publisher_->Run(args);
  }

  // Pushes and returns the --json output, failing the test unless the push succeeded.
  Json MustPush(const std::string& module, const std::string& version, const FileSet& files,
                const std::vector<std::string>& deps = {}) {
    CommandResult pushed = Push(module, version, files, deps);
    EXPECT_EQ(pushed.exit_code, 0) << pushed.Describe();
    return ParseJson(pushed.out);
  }

  Json GetJson(const std::string& path, int status = 200) {
    auto res = http_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return Json::MakeObject();
    EXPECT_EQ(res->status, status) << path << "\n" << res->body;
    return ParseJson(res->body);
  }

  CommandResult PullRecursive(const CliUser& user, const std::string& dir,
                              const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"pull", "-module", "order", "-recursive", "-dir", dir};
    args.insert(args.end(), extra.begin(), extra.end());
    return user.Run(args);
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  std::unique_ptr<CliUser> publisher_, reader_;
};

}  // namespace spoke::e2e

#endif  // SPOKE_TESTS_E2E_DEPS_FIXTURE_H_
