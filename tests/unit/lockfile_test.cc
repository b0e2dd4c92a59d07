// spoke.lock: what Serialize writes, Parse reads back, in both the original and the pinned format.
#include "spoke/lockfile.h"

#include <gtest/gtest.h>

namespace spoke {
namespace {

TEST(Lockfile, AnOriginalFormatLockSavedAgainStillParses) {
  // Found by tests/fuzz/lockfile_fuzz.cc: an entry without a pin was written as an empty pin,
  // which Parse then refused as malformed.
  auto lock = Lockfile::Parse(R"({"dependencies": {"common": "v1.2.0"}})", "spoke.lock");
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  std::string text = lock->Serialize();
  auto again = Lockfile::Parse(text, "spoke.lock");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << text;
  ASSERT_EQ(again->entries.size(), 1u);
  EXPECT_EQ(again->entries["common"].version, "v1.2.0");
  EXPECT_EQ(again->entries["common"].commit, "");
  EXPECT_EQ(again->Serialize(), text);
}

TEST(Lockfile, PinnedEntriesRoundTripBesideUnpinnedOnes) {
  Lockfile lock;
  lock.entries["common"] = {"common", "v1.2.0", std::string(40, 'a'),
                            "sha256:" + std::string(64, 'b'), ""};
  lock.entries["money"] = {"money", "v0.3.1", "", "", ""};
  auto again = Lockfile::Parse(lock.Serialize(), "spoke.lock");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->entries["common"].commit, std::string(40, 'a'));
  EXPECT_EQ(again->entries["common"].digest, "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(again->entries["money"].version, "v0.3.1");
  EXPECT_EQ(again->entries["money"].digest, "");
}

TEST(Lockfile, AMalformedPinIsRefusedNamingTheFileAndModule) {
  auto lock = Lockfile::Parse(
      R"({"dependencies": {"common": "v1.2.0"}, "pins": {"common": {"commit": "", "digest": ""}}})",
      "x/spoke.lock");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(lock.status().message(), "x/spoke.lock: malformed pin for common");
}

}  // namespace
}  // namespace spoke
