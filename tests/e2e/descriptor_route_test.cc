// The descriptor route: a version's google.protobuf.FileDescriptorSet, binary or in protobuf's
// JSON mapping, holding the version's files and everything they import with every dependency
// before its dependents, and an ETag for conditional GETs.
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "generated_code_fixture.h"
#include "harness.h"

namespace spoke::e2e {
namespace {

using Descriptor = RegistryWithModules;

std::vector<std::string> FileNames(const google::protobuf::FileDescriptorSet& set) {
  std::vector<std::string> names;
  for (const auto& file : set.file()) names.push_back(file.name());
  return names;
}

// Every import of every file in `set` is in `set`, at an earlier position.
void ExpectDependenciesFirst(const google::protobuf::FileDescriptorSet& set) {
  std::map<std::string, int> position;
  for (int i = 0; i < set.file_size(); ++i) {
    EXPECT_TRUE(position.emplace(set.file(i).name(), i).second)
        << set.file(i).name() << " appears twice";
  }
  for (int i = 0; i < set.file_size(); ++i) {
    for (const auto& dependency : set.file(i).dependency()) {
      auto it = position.find(dependency);
      ASSERT_NE(it, position.end())
          << set.file(i).name() << " imports " << dependency << ", which is not in the set";
      EXPECT_LT(it->second, i) << dependency << " comes after its dependent " << set.file(i).name();
    }
  }
}

google::protobuf::FileDescriptorSet GetBinary(httplib::Client& http, const std::string& route) {
  google::protobuf::FileDescriptorSet set;
  auto got = http.Get(route.c_str());
  if (!got) {
    ADD_FAILURE() << "GET " << route << ": " << httplib::to_string(got.error());
    return set;
  }
  EXPECT_EQ(got->status, 200) << got->body;
  EXPECT_EQ(got->get_header_value("Content-Type"), "application/x-protobuf");
  EXPECT_TRUE(set.ParseFromString(got->body)) << "not a FileDescriptorSet";
  return set;
}

TEST_F(Descriptor, BinaryIsAFileDescriptorSetWithTheModulesFilesAndTheirImportsDependenciesFirst) {
  auto shop = GetBinary(*http_, "/modules/shop/versions/v1.0.0/descriptor");
  std::vector<std::string> names = FileNames(shop);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()),
            (std::set<std::string>{"google/protobuf/timestamp.proto", "shop/money.proto",
                                   "shop/order.proto"}));
  ExpectDependenciesFirst(shop);
  // The set describes the files as written: Order.placed is a google.protobuf.Timestamp.
  bool found = false;
  for (const auto& file : shop.file()) {
    if (file.name() != "shop/order.proto") continue;
    EXPECT_EQ(file.package(), "shop");
    ASSERT_GE(file.message_type_size(), 1);
    const auto& order = file.message_type(0);
    EXPECT_EQ(order.name(), "Order");
    for (const auto& field : order.field()) {
      if (field.name() == "placed") {
        found = true;
        EXPECT_EQ(field.type_name(), ".google.protobuf.Timestamp");
        EXPECT_EQ(field.json_name(), "placed");
      }
    }
    ASSERT_EQ(file.service_size(), 1);
    EXPECT_EQ(file.service(0).name(), "Orders");
    EXPECT_FALSE(file.has_source_code_info()) << "source info was not asked for";
  }
  EXPECT_TRUE(found) << "no shop.Order.placed in the descriptor";

  auto clock = GetBinary(*http_, "/modules/clock/versions/latest/descriptor?format=binary");
  names = FileNames(clock);
  EXPECT_EQ(
      std::set<std::string>(names.begin(), names.end()),
      (std::set<std::string>{"clock.proto", "google/protobuf/duration.proto",
                             "google/protobuf/timestamp.proto", "google/protobuf/struct.proto"}));
  ExpectDependenciesFirst(clock);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), "clock.proto");
}

TEST_F(Descriptor, SourceInfoIsIncludedOnlyWhenAskedFor) {
  auto with = GetBinary(*http_, "/modules/shop/versions/v1.0.0/descriptor?source_info=true");
  ASSERT_GT(with.file_size(), 0);
  for (const auto& file : with.file()) {
    if (file.name().rfind("shop/", 0) == 0) {
      EXPECT_TRUE(file.has_source_code_info()) << file.name();
    }
  }
}

TEST_F(Descriptor, JsonIsProtobufsJsonMappingOfTheSameSet) {
  auto binary = GetBinary(*http_, "/modules/shop/versions/v1.0.0/descriptor");
  auto got = http_->Get("/modules/shop/versions/v1.0.0/descriptor?format=json");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->status, 200) << got->body;
  EXPECT_NE(got->get_header_value("Content-Type").find("application/json"), std::string::npos);
  auto json = Json::Parse(got->body);
  ASSERT_TRUE(json.ok()) << got->body;
  const Json* files = json->Get("file");
  ASSERT_TRUE(files && files->is_array()) << got->body;
  std::vector<std::string> names;
  for (const Json& file : files->as_array()) names.push_back(file.GetString("name"));
  EXPECT_EQ(names, FileNames(binary));
  // Read back with protobuf's own JSON parser, it is the binary set, field for field.
  google::protobuf::FileDescriptorSet from_json;
  auto parsed = google::protobuf::util::JsonStringToMessage(got->body, &from_json);
  ASSERT_TRUE(parsed.ok()) << parsed.ToString();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(from_json, binary))
      << from_json.DebugString() << "\n---\n"
      << binary.DebugString();
}

TEST_F(Descriptor, Answers304WhenIfNoneMatchNamesItsETagAndEachFormatHasItsOwn) {
  std::map<std::string, std::string> etags;
  for (std::string query : {"", "?format=json"}) {
    SCOPED_TRACE(query);
    std::string route = "/modules/shop/versions/v1.0.0/descriptor" + query;
    auto first = http_->Get(route.c_str());
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status, 200) << first->body;
    std::string etag = first->get_header_value("ETag");
    ASSERT_FALSE(etag.empty());
    etags[query] = etag;
    auto again = http_->Get(route.c_str());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->body, first->body) << "the descriptor is not deterministic";
    EXPECT_EQ(again->get_header_value("ETag"), etag);
    auto fresh = http_->Get(route.c_str(), {{"If-None-Match", etag}});
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->status, 304);
    EXPECT_TRUE(fresh->body.empty());
  }
  EXPECT_NE(etags[""], etags["?format=json"]);
  // The JSON's ETag does not let a client skip the binary.
  auto binary = http_->Get("/modules/shop/versions/v1.0.0/descriptor",
                           {{"If-None-Match", etags["?format=json"]}});
  ASSERT_TRUE(binary);
  EXPECT_EQ(binary->status, 200);
  // Another version has another ETag.
  auto clock = http_->Get("/modules/clock/versions/v2.1.0/descriptor");
  ASSERT_TRUE(clock);
  EXPECT_NE(clock->get_header_value("ETag"), etags[""]);
}

TEST_F(Descriptor, UnknownFormatIs400Json) {
  std::string message;
  EXPECT_EQ(ExpectJsonError(http_->Get("/modules/shop/versions/v1.0.0/descriptor?format=yaml"), 400,
                            &message),
            "invalid_argument");
  EXPECT_NE(message.find("binary or json"), std::string::npos) << message;
}

}  // namespace
}  // namespace spoke::e2e
