// What the compiler says when it cannot do its job: every error at file:line:col, a missing plugin
// named with the Debian package that provides it, an unknown language with the known ones.
#include <cstdlib>

#include "spoke/compiler.h"
#include "toolchain_support.h"

namespace spoke::toolchain {
namespace {

Result<std::map<std::string, GeneratedFiles>> CompileSources(
    const std::map<std::string, std::string>& files, const std::string& language) {
  CompileRequest request;
  for (const auto& [path, content] : files) {
    request.sources[path] = content;  // the loader below treats the id as the content itself
    request.targets.push_back(path);
  }
  request.load = [](const std::string& id) -> Result<std::string> { return id; };
  request.languages = {language};
  return Compile(request);
}

TEST(CompileErrors, ASyntaxErrorIsReportedAtFileLineAndColumn) {
  auto result = CompileSources(
      {{"bad.proto", "syntax = \"proto3\";\nmessage A {\n  int32 x = ;\n}\n"}}, "cpp");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(result.status().message().find("bad.proto:3:13: "), std::string::npos)
      << result.status().message();
}

TEST(CompileErrors, EveryErrorIsListedOnItsOwnLine) {
  auto result = CompileSources(
      {{"two.proto",
        "syntax = \"proto3\";\nmessage A { Missing m = 1; }\nmessage B { Other o = 1; }\n"}},
      "python");
  ASSERT_FALSE(result.ok());
  const std::string& message = result.status().message();
  EXPECT_NE(message.find("two.proto:2:13: "), std::string::npos) << message;
  EXPECT_NE(message.find("\ntwo.proto:3:13: "), std::string::npos) << message;
}

TEST(CompileErrors, AnUnresolvedImportNamesTheImportAndWhereItIs) {
  auto result =
      CompileSources({{"a.proto", "syntax = \"proto3\";\nimport \"nowhere/b.proto\";\n"}}, "cpp");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("a.proto:2:1: "), std::string::npos)
      << result.status().message();
  EXPECT_NE(result.status().message().find("nowhere/b.proto"), std::string::npos);
}

TEST(CompileErrors, AMissingPluginNamesTheDebianPackageToInstall) {
  const char* old_path = std::getenv("PATH");
  std::string saved = old_path ? old_path : "";
  setenv("PATH", "/nonexistent", 1);
  auto result = CompileSources({{"a.proto", "syntax = \"proto3\";\nmessage A {}\n"}}, "grpc-cpp");
  setenv("PATH", saved.c_str(), 1);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(result.status().message().find("apt-get install protobuf-compiler-grpc"),
            std::string::npos)
      << result.status().message();
}

TEST(CompileErrors, AnUnknownLanguageListsTheKnownOnes) {
  auto parsed = ParseLanguageList("cpp,cobol");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("unknown language \"cobol\""), std::string::npos);
  EXPECT_NE(parsed.status().message().find("python"), std::string::npos);
}

TEST(CompileErrors, TheDescriptorSetHoldsTheTargetsAndTheirImportsDependenciesFirst) {
  CompileRequest request;
  for (const auto& [path, content] : SampleSources()) request.sources[path] = content;
  request.targets = {"shop/order.proto"};
  request.load = [](const std::string& id) -> Result<std::string> { return id; };
  auto set = BuildDescriptorSet(request, false);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  // The names appear in dependency order inside the serialized set.
  size_t common = set->find("common/types.proto"),
         timestamp = set->find("google/protobuf/timestamp.proto"),
         order = set->find("shop/order.proto");
  ASSERT_NE(common, std::string::npos);
  ASSERT_NE(timestamp, std::string::npos);
  ASSERT_NE(order, std::string::npos);
  EXPECT_LT(common, order);
  EXPECT_LT(timestamp, order);
}

}  // namespace
}  // namespace spoke::toolchain
