// Sprocket's hooks for metrics and the states a registry lists, on a real store: the queue depth
// counts down as a pass compiles, every compile that ran reports its language and duration, and a
// version's states go from pending to ready while the Sprocket holds the store.
#include "spoke/sprocket.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace spoke {
namespace {

using testing::MakeRequest;
using testing::OneFile;
using testing::TempDir;

class SprocketUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.Sub("store"), true);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    for (const char* module : {"a", "b"}) {
      ASSERT_TRUE(store_->PutVersion(MakeRequest(module, "v1.0.0", OneFile(module))).ok());
    }
  }

  std::string StatusOf(const std::string& module) {
    auto version = store_->GetVersion(module, "v1.0.0");
    EXPECT_TRUE(version.ok());
    if (!version.ok()) return "";
    auto states = Sprocket::StatesOf(*store_, *version);
    EXPECT_TRUE(states.ok()) << states.status().ToString();
    if (!states.ok() || states->size() != 1) return "(" + std::to_string(states->size()) + ")";
    EXPECT_EQ((*states)[0].language, "cpp");
    return (*states)[0].status;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SprocketUnitTest, TheQueueCountsDownAndEachCompileReportsItsLanguageAndDuration) {
  SprocketOptions options;
  options.languages = {"cpp"};
  std::vector<std::pair<std::string, double>> durations;
  options.on_compile = [&](const std::string& language, double seconds, bool succeeded) {
    EXPECT_TRUE(succeeded);
    durations.emplace_back(language, seconds);
  };
  std::vector<int> depths;
  Sprocket* running = nullptr;
  auto sprocket = Sprocket::Open(
      *store_, options, [&](const SprocketEvent&) { depths.push_back(running->QueueDepth()); });
  ASSERT_TRUE(sprocket.ok()) << sprocket.status().ToString();
  running = sprocket->get();
  EXPECT_EQ(StatusOf("a"), "pending");

  auto pass = (*sprocket)->CompilePending();
  ASSERT_TRUE(pass.ok());
  EXPECT_EQ(pass->compiled, 2);
  EXPECT_EQ(depths, (std::vector<int>{2, 1}));
  EXPECT_EQ((*sprocket)->QueueDepth(), 0);
  ASSERT_EQ(durations.size(), 2u);
  for (const auto& [language, seconds] : durations) {
    EXPECT_EQ(language, "cpp");
    EXPECT_GT(seconds, 0);
  }
  EXPECT_EQ(StatusOf("a"), "ready");
  EXPECT_EQ(StatusOf("b"), "ready");

  // A cache hit is no compile: nothing reported.
  ASSERT_TRUE((*sprocket)->CompilePending().ok());
  EXPECT_EQ(durations.size(), 2u);
}

TEST_F(SprocketUnitTest, WithoutACompilerOnlyCachedArtifactsAreListed) {
  auto version = store_->GetVersion("a", "v1.0.0");
  ASSERT_TRUE(version.ok());
  auto before = Sprocket::StatesOf(*store_, *version);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->empty());
  {
    SprocketOptions options;
    options.languages = {"cpp"};
    auto sprocket = Sprocket::Open(*store_, options, nullptr);
    ASSERT_TRUE(sprocket.ok());
    ASSERT_TRUE((*sprocket)->CompilePending().ok());
  }
  // The Sprocket is gone, its lock with it: what the cache holds is listed as ready.
  auto after = Sprocket::StatesOf(*store_, *version);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].language, "cpp");
  EXPECT_EQ((*after)[0].status, "ready");
}

TEST_F(SprocketUnitTest, ASecondCompilerIsRefusedNamingTheFirstsKind) {
  SprocketOptions options;
  options.languages = {"cpp"};
  options.holder = "spoke-server";
  auto first = Sprocket::Open(*store_, options, nullptr);
  ASSERT_TRUE(first.ok());
  options.holder = "sprocket";
  auto second = Sprocket::Open(*store_, options, nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("spoke-server (pid " + std::to_string(getpid()) +
                                           ", run with --compile-languages) is compiling"),
            std::string::npos)
      << second.status().message();
}

}  // namespace
}  // namespace spoke
