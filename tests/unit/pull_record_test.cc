// PullIntoDir and its record, on a real store and a real directory: a pull cut short is finished
// by the next one, and a record that names a path outside the directory removes nothing.
#include "spoke/pull_record.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"

namespace spoke {
namespace {

using testing::ReadFileOrDie;
using testing::TempDir;

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

const FileSet kV1 = {{"api.proto", "syntax = \"proto3\";\nmessage A {}\n"},
                     {"old/gone.proto", "syntax = \"proto3\";\nmessage Gone {}\n"}};
const FileSet kV2 = {{"api.proto", "syntax = \"proto3\";\nmessage A {\n  string b = 1;\n}\n"}};

class PullRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::Open(tmp_.Sub("store"), true);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    v1_ = Put("v1.0.0", kV1);
    v2_ = Put("v2.0.0", kV2);
  }

  VersionInfo Put(const std::string& version, const FileSet& files) {
    auto put = store_->PutVersion(testing::MakeRequest("api", version, files));
    EXPECT_TRUE(put.ok()) << put.status().ToString();
    return put.ok() ? put->version : VersionInfo{};
  }

  Result<PullOutcome> Pull(const VersionInfo& version) {
    return PullIntoDir(*store_, store_->path(), dir_, {{version, ""}}, PullOptions{});
  }

  TempDir tmp_;
  std::unique_ptr<Store> store_;
  VersionInfo v1_, v2_;
  std::string dir_ = tmp_.Sub("proto");
};

TEST_F(PullRecordTest, APullCutShortBeforeItWroteAnythingIsFinishedByTheNextOne) {
  ASSERT_TRUE(Pull(v1_).ok());
  // What a pull of v2 saves before it writes: v2's files, and the v1 contents it replaces.
  const std::string record_path = PullRecordPath(store_->path(), dir_);
  auto record = PullRecord::Load(record_path);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  PullRecord applying = *record;
  applying.unsettled = applying.modules["api"].files;
  applying.modules["api"] = {"v2.0.0", "", {{"api.proto", Store::BlobId(kV2.at("api.proto"))}}};
  ASSERT_TRUE(applying.Save(record_path).ok());

  auto finished = Pull(v2_);
  ASSERT_TRUE(finished.ok()) << finished.status().ToString();
  EXPECT_EQ(finished->written, std::vector<std::string>{"api.proto"});
  EXPECT_EQ(finished->removed, std::vector<std::string>{"old/gone.proto"});
  EXPECT_EQ(ReadFileOrDie(dir_ + "/api.proto"), kV2.at("api.proto"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/old"));
  auto settled = PullRecord::Load(record_path);
  ASSERT_TRUE(settled.ok());
  EXPECT_TRUE(settled->unsettled.empty());
}

TEST_F(PullRecordTest, ARecordNamingAPathOutsideTheDirectoryIsRefusedAndRemovesNothing) {
  ASSERT_TRUE(Pull(v1_).ok());
  WriteText(tmp_.Sub("outside.proto"), "mine\n");
  const std::string record_path = PullRecordPath(store_->path(), dir_);
  std::string text = ReadFileOrDie(record_path);
  const std::string from = "\"old/gone.proto\"";
  ASSERT_NE(text.find(from), std::string::npos) << text;
  text.replace(text.find(from), from.size(), "\"../outside.proto\"");
  WriteText(record_path, text);

  auto refused = Pull(v2_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition)
      << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("remove it to start afresh"), std::string::npos);
  EXPECT_EQ(ReadFileOrDie(tmp_.Sub("outside.proto")), "mine\n");
  EXPECT_EQ(ReadFileOrDie(dir_ + "/api.proto"), kV1.at("api.proto"));
}

TEST_F(PullRecordTest, TwoPathsOfOneDirectoryShareOneRecord) {
  std::filesystem::create_directories(dir_);
  EXPECT_EQ(PullRecordPath("/s", dir_), PullRecordPath("/s", dir_ + "/./"));
  EXPECT_EQ(PullRecordPath("/s", dir_), PullRecordPath("/s", tmp_.Sub("x/../proto")));
  EXPECT_NE(PullRecordPath("/s", dir_), PullRecordPath("/s", tmp_.Sub("other")));
}

}  // namespace
}  // namespace spoke
