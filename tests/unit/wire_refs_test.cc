// The sync protocol's ref payloads (wire.h): ref lists under several prefixes and the results of a
// push's ref updates.
#include <gtest/gtest.h>

#include "wire.h"

namespace spoke::wire {
namespace {

const std::string kTag = "refs/tags/user/v1.0.0";
const std::string kBranch = "refs/heads/user/_history";
const std::string kId = "0123456789abcdef0123456789abcdef01234567";

TEST(RefList, NamesThePrefixesItCovers) {
  Json answer = RefsToJson({{kBranch, kId, ""}}, {kTag, kBranch});
  EXPECT_EQ(AnsweredRefPrefixes(answer), (std::vector<std::string>{kTag, kBranch}));
  auto refs = RefsFromJson(answer);
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  ASSERT_EQ(refs->size(), 1u);
  EXPECT_EQ((*refs)[0].name, kBranch);
}

TEST(RefList, FromAnOlderServerCoversNoPrefixThatItNames) {
  auto answer = Json::Parse(R"({"protocol": 1, "refs": []})");
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(AnsweredRefPrefixes(*answer).empty());
}

TEST(RefResults, RoundTripEveryChange) {
  std::vector<RefResult> results = {{kTag, kId, RefChange::kCreated},
                                    {kBranch, kId, RefChange::kUpdated},
                                    {"refs/tags/user/v0.9.0", kId, RefChange::kUnchanged}};
  Json json = RefResultsToJson(results);
  const Json* list = json.Get("refs");
  ASSERT_TRUE(list && list->is_array());
  EXPECT_EQ(list->as_array()[0].GetString("status"), "created");
  EXPECT_EQ(list->as_array()[1].GetString("status"), "updated");
  EXPECT_EQ(list->as_array()[2].GetString("status"), "unchanged");
  auto back = RefResultsFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 3u);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ((*back)[i].name, results[i].name);
    EXPECT_EQ((*back)[i].change, results[i].change) << results[i].name;
  }
}

TEST(RefResults, AnUnknownStatusIsCorruption) {
  auto json = Json::Parse(R"({"refs": [{"name": "refs/tags/user/v1.0.0",
      "target": "0123456789abcdef0123456789abcdef01234567", "status": "moved"}]})");
  ASSERT_TRUE(json.ok());
  auto results = RefResultsFromJson(*json);
  EXPECT_EQ(results.status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace spoke::wire
