// Default Go import paths for files without go_package: the prefix a module name gives, the
// prefixes accepted from a user, and the "M" items the Go plugins receive.
#include "spoke/go_import_path.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace spoke {
namespace {

TEST(DefaultGoImportPrefix, KeepsANameWithASlashAndPutsAOneElementNameUnderExample) {
  for (const auto& [name, prefix] :
       std::vector<std::pair<std::string, std::string>>{{"payments/ledger", "payments/ledger"},
                                                        {"user-service", "example/user-service"},
                                                        {"order", "example/order"},
                                                        {"protos.v1", "protos.v1"},
                                                        {"a/b_c", "a/b_c"}}) {
    EXPECT_EQ(DefaultGoImportPrefix(name), prefix) << name;
    EXPECT_TRUE(ValidateGoImportPrefix(DefaultGoImportPrefix(name)).ok()) << name;
  }
}

TEST(DefaultGoImportPrefix, MakesAnyDirectoryNameAValidImportPath) {
  for (const auto& [name, prefix] : std::vector<std::pair<std::string, std::string>>{
           {"My Protos", "example/My_Protos"},
           {".hidden", "example/_hidden"},
           {"trailing.", "example/trailing_"},
           {"v1.2", "v1.2"},
           {"caf\xC3\xA9", "example/caf_"},  // one '_' for the two bytes of 'é'
           {"a,b=c", "example/a_b_c"},
           {"", "example/proto"},
           {"//a//b/", "a/b"}}) {
    const std::string made = DefaultGoImportPrefix(name);
    EXPECT_EQ(made, prefix) << name;
    EXPECT_TRUE(ValidateGoImportPrefix(made).ok()) << name << " -> " << made;
  }
}

TEST(ValidateGoImportPrefix, RefusesWhatIsNotAnImportPathSayingWhy) {
  EXPECT_TRUE(ValidateGoImportPrefix("example.com/acme/gen").ok());
  EXPECT_TRUE(ValidateGoImportPrefix("gen").ok());  // protoc-gen-go decides about a root file
  EXPECT_TRUE(ValidateGoImportPrefix("c++/v1~x").ok());
  for (const std::string& bad :
       {std::string(), std::string("a//b"), std::string("/a"), std::string("a/"),
        std::string("a b"), std::string("a,b"), std::string("a=b"), std::string(".a"),
        std::string("a."), std::string("a/../b"), std::string("caf\xC3\xA9"),
        std::string(513, 'a')}) {
    Status status = ValidateGoImportPrefix(bad);
    EXPECT_EQ(status.code(), Status::Code::kInvalidArgument) << "accepted \"" << bad << "\"";
    EXPECT_NE(status.message().find("is not a Go import path"), std::string::npos)
        << status.message();
  }
}

TEST(GoImportPathParameter, GivesEachFileItsDirectoryUnderThePrefix) {
  auto parameter = GoImportPathParameter("example/order",
                                         {"order.proto", "common/types.proto", "a/b c/d.proto"});
  ASSERT_TRUE(parameter.ok()) << parameter.status().message();
  EXPECT_EQ(*parameter,
            "Morder.proto=example/order,Mcommon/types.proto=example/order/common,"
            "Ma/b c/d.proto=example/order/a/b_c");
  auto none = GoImportPathParameter("example/order", {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
}

TEST(GoImportPathParameter, RefusesAFileNameThePluginParameterCannotCarry) {
  for (const char* file : {"a,b.proto", "dir=x/a.proto"}) {
    auto parameter = GoImportPathParameter("example.com/x", {"ok.proto", file});
    EXPECT_EQ(parameter.status().code(), Status::Code::kInvalidArgument) << file;
    EXPECT_NE(parameter.status().message().find("set option go_package"), std::string::npos);
  }
}

}  // namespace
}  // namespace spoke
