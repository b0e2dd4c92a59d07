// spoke.yaml: the strict YAML subset, including the one-level sections lint and breaking use.
#include <gtest/gtest.h>

#include "spoke/module_config.h"

namespace spoke {
namespace {

TEST(ModuleConfig, ReadsScalarsListsAndSections) {
  auto config = ParseModuleConfig(
      "module: shop  # the name\n"
      "deps:\n"
      "  - common@v1.2.0\n"
      "lint:\n"
      "  use:\n"
      "    - STANDARD\n"
      "    - COMMENTS\n"
      "  except:\n"
      "  - PACKAGE_VERSION_SUFFIX\n"
      "breaking:\n"
      "  level: WIRE_JSON\n",
      "spoke.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->module, "shop");
  EXPECT_EQ(config->deps, std::vector<std::string>{"common@v1.2.0"});
  EXPECT_EQ(config->values.at("lint.use"), (std::vector<std::string>{"STANDARD", "COMMENTS"}));
  EXPECT_EQ(config->values.at("lint.except"), std::vector<std::string>{"PACKAGE_VERSION_SUFFIX"});
  EXPECT_EQ(config->values.at("breaking.level"), std::vector<std::string>{"WIRE_JSON"});
}

TEST(ModuleConfig, RefusesDeeperNestingWithItsLine) {
  auto config = ParseModuleConfig("lint:\n  use:\n    deeper: x\n", "spoke.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("spoke.yaml:3:"), std::string::npos)
      << config.status().message();
}

TEST(ModuleConfig, RefusesInconsistentIndentationInASection) {
  auto config = ParseModuleConfig("lint:\n    use:\n      - A\n  except:\n", "spoke.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("spoke.yaml:4:"), std::string::npos)
      << config.status().message();
}

TEST(ModuleConfig, RefusesIndentedKeysOutsideASection) {
  EXPECT_FALSE(ParseModuleConfig("module: a\n  deps: b\n", "spoke.yaml").ok());
  EXPECT_FALSE(ParseModuleConfig("deps:\n  - a@v1.0.0\n  more: b\n", "spoke.yaml").ok());
}

TEST(ModuleConfig, RefusesAKeyTwiceInsideASection) {
  auto config = ParseModuleConfig("breaking:\n  level: FILE\n  level: WIRE\n", "spoke.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("breaking.level"), std::string::npos);
}

}  // namespace
}  // namespace spoke
