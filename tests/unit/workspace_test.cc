// Workspaces: which directories are modules (spoke.yaml roots, or top-level directories), their
// files and versions, the errors that keep a file from being silently left out, and the push
// order with cycles named.
#include "spoke/workspace.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"

namespace spoke {
namespace {

using testing::TempDir;

std::string Imports(const std::vector<std::string>& paths) {
  std::string text = "syntax = \"proto3\";\n";
  for (const auto& p : paths) text += "import \"" + p + "\";\n";
  return text;
}

class WorkspaceTest : public ::testing::Test {
 protected:
  void Write(const std::string& path, const std::string& content) {
    std::filesystem::path full = std::filesystem::path(root()) / path;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full) << content;
  }
  std::string root() const { return dir_.Sub("ws"); }

  // FindModules, then ReadModuleFiles, as batch-push does.
  std::vector<WorkspaceModule> MustDiscover(bool recursive) {
    auto modules = FindModules(root(), recursive);
    EXPECT_TRUE(modules.ok()) << modules.status().ToString();
    if (!modules.ok()) return {};
    Status read = ReadModuleFiles(&*modules);
    EXPECT_TRUE(read.ok()) << read.ToString();
    return *modules;
  }

  std::string FindError(bool recursive) {
    auto modules = FindModules(root(), recursive);
    EXPECT_FALSE(modules.ok());
    if (modules.ok()) return "";
    EXPECT_EQ(modules.status().code(), Status::Code::kInvalidArgument)
        << modules.status().ToString();
    return modules.status().message();
  }

  static std::vector<std::string> Names(const std::vector<WorkspaceModule>& modules) {
    std::vector<std::string> names;
    for (const auto& m : modules) names.push_back(m.name);
    return names;
  }

  TempDir dir_;
};

TEST_F(WorkspaceTest, WithoutSpokeYamlEachTopLevelDirectoryIsAModuleRootedAtTheWorkspace) {
  Write("common/types.proto", Imports({}));
  Write("order/order.proto", Imports({"common/types.proto"}));
  Write("order/sub/more.proto", Imports({}));
  Write(".git/ignored.proto", Imports({}));
  Write("order/README.md", "not a proto");
  auto modules = MustDiscover(false);
  ASSERT_EQ(Names(modules), (std::vector<std::string>{"common", "order"}));
  EXPECT_EQ(modules[1].version, "");  // no spoke.yaml names one: batch-push decides
  EXPECT_EQ(modules[1].dir, root() + "/order");
  ASSERT_EQ(modules[1].files.size(), 2u);
  EXPECT_EQ(modules[1].files.at("order/order.proto"), Imports({"common/types.proto"}));
  EXPECT_EQ(modules[1].files.count("order/sub/more.proto"), 1u);
  EXPECT_EQ(modules[1].sources.at("order/sub/more.proto"), root() + "/order/sub/more.proto");
}

TEST_F(WorkspaceTest, SpokeYamlDirectoriesAreModulesWithTheirOwnNamesVersionsAndDeps) {
  Write("libs/common/spoke.yaml", "module: shared/common\nversion: v2.0.0\n");
  Write("libs/common/common/types.proto", Imports({}));
  Write("order/spoke.yaml", "deps:\n  - shared/common@v2.0.0\n");
  Write("order/order/order.proto", Imports({"common/types.proto"}));
  Write("order/nested/spoke.yaml", "module: order/nested\n");
  Write("order/nested/n.proto", Imports({}));
  Write("loose/loose.proto", Imports({}));
  EXPECT_NE(FindError(true).find("loose/loose.proto belongs to no module"), std::string::npos);
  std::filesystem::remove_all(root() + "/loose");

  // Without -recursive a spoke.yaml below the top level is refused, not taken as part of another.
  EXPECT_NE(FindError(false).find("libs/common/spoke.yaml is below the top level; pass -recursive"),
            std::string::npos);

  auto modules = MustDiscover(true);
  ASSERT_EQ(Names(modules), (std::vector<std::string>{"order", "order/nested", "shared/common"}));
  const WorkspaceModule& order = modules[0];
  EXPECT_EQ(order.version, "");
  EXPECT_EQ(order.declared, std::vector<std::string>{"shared/common@v2.0.0"});
  // Paths are relative to the module root, and a nested module's files are its own.
  EXPECT_EQ(order.files.size(), 1u);
  EXPECT_EQ(order.files.count("order/order.proto"), 1u);
  EXPECT_EQ(modules[1].files.count("n.proto"), 1u);
  EXPECT_EQ(modules[2].version, "v2.0.0");
}

TEST_F(WorkspaceTest, RefusesWhatWouldOtherwiseBeLeftOutOrMisnamed) {
  Write("stray.proto", Imports({}));
  EXPECT_NE(FindError(false).find("stray.proto is in no top-level directory"), std::string::npos);
  std::filesystem::remove(root() + "/stray.proto");

  Write("Bad Name/x.proto", Imports({}));
  EXPECT_NE(FindError(false).find("top-level directory Bad Name"), std::string::npos);
  std::filesystem::remove_all(root() + "/Bad Name");

  Write("a/a.proto", Imports({}));
  Write("a/spoke.yaml", "module: same\n");
  Write("b/spoke.yaml", "module: same\n");
  Write("b/b.proto", Imports({}));
  EXPECT_NE(FindError(false).find("two directories are module same"), std::string::npos);

  Write("b/spoke.yaml", "module: b\nversion: 1.0\n");
  EXPECT_NE(FindError(false).find("b/spoke.yaml"), std::string::npos);

  std::filesystem::remove_all(root());
  std::filesystem::create_directories(root());
  EXPECT_NE(FindError(false).find("no .proto files"), std::string::npos);

  std::filesystem::remove_all(root());
  EXPECT_NE(FindError(false).find(root() + " is not a directory"), std::string::npos);
}

TEST_F(WorkspaceTest, FilesAreReadAfterTheLayoutSoBadTextIsNotALayoutError) {
  Write("a/a.proto", Imports({}));
  Write("b/b.proto", "syntax = \"proto3\";\nmessage B { string caf\xE9 = 1; }\n");
  auto modules = FindModules(root(), false);
  ASSERT_TRUE(modules.ok()) << modules.status().ToString();
  EXPECT_TRUE((*modules)[1].files.empty());
  Status read = ReadModuleFiles(&*modules);
  EXPECT_EQ(read.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(read.message().find(root() + "/b/b.proto:2:"), std::string::npos) << read.message();
}

TEST_F(WorkspaceTest, OrdersModulesAfterWhatTheyImportOrDeclare) {
  Write("app/app.proto", Imports({"order/order.proto", "google/protobuf/timestamp.proto"}));
  Write("order/order.proto", Imports({"common/types.proto", "elsewhere/x.proto"}));
  Write("common/types.proto", Imports({}));
  Write("zeta/z.proto", Imports({}));
  auto ordered = OrderByImports(MustDiscover(false));
  ASSERT_TRUE(ordered.ok()) << ordered.status().ToString();
  EXPECT_EQ(Names(*ordered), (std::vector<std::string>{"common", "order", "app", "zeta"}));
  const WorkspaceModule& app = (*ordered)[2];
  ASSERT_EQ(app.needs.size(), 1u);
  EXPECT_EQ(app.needs.at("order").Where(), "app/app.proto:2:1");
  // An import no workspace module provides is left for the registry.
  EXPECT_EQ((*ordered)[1].needs.size(), 1u);
}

TEST_F(WorkspaceTest, ACycleIsRefusedNamingEveryModuleAndImportOnIt) {
  Write("a/a.proto", Imports({"b/b.proto"}));
  Write("b/b.proto", Imports({"c/c.proto"}));
  Write("c/c.proto", Imports({"a/a.proto"}));
  Write("d/d.proto", Imports({"a/a.proto"}));
  auto ordered = OrderByImports(MustDiscover(false));
  ASSERT_FALSE(ordered.ok());
  EXPECT_EQ(ordered.status().message(),
            "import cycle between modules: a -> b -> c -> a (a/a.proto:2:1 imports \"b/b.proto\"; "
            "b/b.proto:2:1 imports \"c/c.proto\"; c/c.proto:2:1 imports \"a/a.proto\")");
}

TEST_F(WorkspaceTest, ADeclaredDependencyCountsForOrderAndCycles) {
  Write("a/spoke.yaml", "module: a\ndeps:\n  - b@v1.0.0\n");
  Write("a/a.proto", Imports({}));
  Write("b/spoke.yaml", "module: b\n");
  Write("b/b.proto", Imports({"a.proto"}));
  auto ordered = OrderByImports(MustDiscover(false));
  ASSERT_FALSE(ordered.ok());
  EXPECT_NE(ordered.status().message().find("a -> b -> a"), std::string::npos)
      << ordered.status().message();
  EXPECT_NE(ordered.status().message().find("a/spoke.yaml declares b"), std::string::npos)
      << ordered.status().message();
}

TEST_F(WorkspaceTest, OneFileInTwoModulesIsRefused) {
  Write("a/spoke.yaml", "module: a\n");
  Write("a/shared.proto", Imports({}));
  Write("b/spoke.yaml", "module: b\n");
  Write("b/shared.proto", Imports({}));
  auto ordered = OrderByImports(MustDiscover(false));
  ASSERT_FALSE(ordered.ok());
  EXPECT_NE(ordered.status().message().find("file shared.proto is in two modules: a and b"),
            std::string::npos);
}

}  // namespace
}  // namespace spoke
