// ScanImports: top-level import statements with their positions, and nothing that merely looks
// like one (comments, strings, fields named "import", text inside braces).
#include "spoke/imports.h"

#include <gtest/gtest.h>

#include "spoke/compiler.h"

namespace spoke {
namespace {

std::vector<std::string> Paths(const std::vector<ImportStatement>& imports) {
  std::vector<std::string> paths;
  for (const auto& i : imports) paths.push_back(i.path);
  return paths;
}

TEST(ScanImports, FindsEveryKindOfImportWithItsLineAndColumn) {
  const std::string text =
      "syntax = \"proto3\";\n"
      "package order;\n"
      "import \"common/types.proto\";\n"
      "  import public \"common/ids.proto\";\n"
      "import weak 'legacy/old.proto';\n";
  auto imports = ScanImports("order/order.proto", text);
  ASSERT_EQ(imports.size(), 3u);
  EXPECT_EQ(imports[0].path, "common/types.proto");
  EXPECT_EQ(imports[0].Where(), "order/order.proto:3:1");
  EXPECT_EQ(imports[1].path, "common/ids.proto");
  EXPECT_EQ(imports[1].Where(), "order/order.proto:4:3");
  EXPECT_EQ(imports[2].path, "legacy/old.proto");
  EXPECT_EQ(imports[2].line, 5);
}

TEST(ScanImports, IgnoresCommentsStringsFieldsAndOptionBodies) {
  const std::string text =
      "syntax = \"proto3\";\n"
      "// import \"commented/line.proto\";\n"
      "/* import \"commented/block.proto\"; */\n"
      "option (doc) = { text: \"import \\\"in/option.proto\\\";\" };\n"
      "message M {\n"
      "  string import = 1;\n"
      "  message Inner { int32 x = 1; }\n"
      "}\n"
      "import \"real/one.proto\";\n";
  EXPECT_EQ(Paths(ScanImports("m.proto", text)), std::vector<std::string>{"real/one.proto"});
}

TEST(ScanImports, ReadsEditionsFilesAndUnescapesPaths) {
  const std::string text =
      "edition = \"2023\";\n"
      "import \"google/protobuf/cpp_features.proto\";\n"
      "import \"odd\\x2fpath.proto\";\n";
  EXPECT_EQ(Paths(ScanImports("e.proto", text)),
            (std::vector<std::string>{"google/protobuf/cpp_features.proto", "odd/path.proto"}));
}

TEST(ScanImports, LeavesBrokenTextToTheCompiler) {
  EXPECT_TRUE(ScanImports("bad.proto", "import ;\nimport\n").empty());
  EXPECT_EQ(Paths(ScanImports("bad.proto", "import \"a/b.proto\"; message {{{ \"unterminated")),
            std::vector<std::string>{"a/b.proto"});
}

TEST(ScanImports, OfAFileSetGoesInPathOrder) {
  FileSet files = {{"b.proto", "import \"x.proto\";"}, {"a.proto", "import \"y.proto\";"}};
  auto imports = ScanImports(files);
  ASSERT_EQ(imports.size(), 2u);
  EXPECT_EQ(imports[0].file, "a.proto");
  EXPECT_EQ(imports[1].file, "b.proto");
}

TEST(CompilerProvides, WellKnownTypesOnlyAndNothingOutsideThem) {
  EXPECT_TRUE(CompilerProvides("google/protobuf/timestamp.proto"));
  EXPECT_TRUE(CompilerProvides("google/protobuf/descriptor.proto"));
  EXPECT_FALSE(CompilerProvides("google/protobuf/not_shipped.proto"));
  EXPECT_FALSE(CompilerProvides("google/api/annotations.proto"));
  EXPECT_FALSE(CompilerProvides("google/protobuf/../../stdio.h"));
}

}  // namespace
}  // namespace spoke
