// The web UI for a version of more files (or bytes) than one page documents (kMaxDocumentedFiles
// in remote/ui_version_schema.h): the version page stays small and points to its files' pages; each
// .proto file's page documents its own types; a type link, within the version or from another
// module, leads to a page that has the type's anchor.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "deps_fixture.h"
#include "ui_version_schema.h"

namespace spoke::e2e {
namespace {

// One file more than a version page documents: big/f000.proto defines what every other file
// uses.
FileSet ManyFiles() {
  FileSet files;
  files["big/f000.proto"] =
      "syntax = \"proto3\";\npackage big;\n\n// What every file shares.\nmessage Shared {\n"
      "  string id = 1;\n}\n\nenum Kind {\n  KIND_UNSPECIFIED = 0;\n}\n";
  for (size_t i = 1; i <= kMaxDocumentedFiles; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "%03zu", i);
    files[std::string("big/f") + name + ".proto"] =
        std::string("syntax = \"proto3\";\npackage big;\nimport \"big/f000.proto\";\n\n") +
        "message M" + name + " {\n  Shared shared = 1;\n  Kind kind = 2;\n}\n";
  }
  return files;
}

const FileSet kUser = {{"user/user.proto",
                        "syntax = \"proto3\";\npackage user;\nimport \"big/f000.proto\";\n\n"
                        "message Account {\n  big.Shared shared = 1;\n}\n"}};

class UiLargeVersion : public DependencyFixture {
 protected:
  void SetUp() override {
    StartServer();
    ASSERT_TRUE(server_);
    MustPush("big", "v1.0.0", ManyFiles());
    MustPush("user", "v1.0.0", kUser, {"big@v1.0.0"});
  }

  std::string Page(const std::string& path) {
    auto res = http_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return "";
    EXPECT_EQ(res->status, 200) << path << "\n" << res->body;
    return res->body;
  }

  // The href of the link named `text` in `html`.
  static std::string HrefOf(const std::string& html, const std::string& text) {
    std::smatch found;
    if (!std::regex_search(html, found, std::regex("<a href=\"([^\"]*)\">" + text + "</a>")))
      return "";
    return found[1];
  }
};

TEST_F(UiLargeVersion, TheVersionPagePointsToItsFilesPagesInsteadOfDocumentingEveryType) {
  std::string page = Page("/ui/modules/big/versions/v1.0.0");
  EXPECT_TRUE(Contains(page, "Too large to document on one page")) << page;
  EXPECT_FALSE(Contains(page, "id=\"big.M001\""));
  EXPECT_FALSE(Contains(page, "id=\"big.Shared\""));
  // The file tree and the pointer: a few hundred bytes a file.
  EXPECT_LT(page.size(), 300 * (kMaxDocumentedFiles + 1)) << page.size();
}

// A few files can be too large too: a version of more than kMaxDocumentedBytes of source.
TEST_F(UiLargeVersion, AVersionOfFewButLargeFilesDocumentsItsTypesOnTheFilesPages) {
  std::string comment;
  while (comment.size() <= kMaxDocumentedBytes) comment += "// " + std::string(96, 'x') + "\n";
  MustPush("huge", "v1.0.0",
           {{"huge/h.proto", "syntax = \"proto3\";\npackage huge;\n" + comment +
                                 "message H {\n  string id = 1;\n}\n"}});
  std::string version = Page("/ui/modules/huge/versions/v1.0.0");
  EXPECT_TRUE(Contains(version, "Too large to document on one page"));
  EXPECT_FALSE(Contains(version, "id=\"huge.H\""));
  EXPECT_TRUE(
      Contains(Page("/ui/modules/huge/versions/v1.0.0/files/huge/h.proto"), "id=\"huge.H\""));
}

TEST_F(UiLargeVersion, AFilePageDocumentsItsTypesAndItsTypeLinksResolveToTheirAnchors) {
  std::string page = Page("/ui/modules/big/versions/v1.0.0/files/big/f001.proto");
  EXPECT_TRUE(Contains(page, "<section class=\"schema-message\" id=\"big.M001\">")) << page;
  EXPECT_FALSE(Contains(page, "id=\"big.Shared\""));
  // A type of another file of the version: documented on that file's page, at its anchor.
  const std::string shared = HrefOf(page, "Shared");
  EXPECT_EQ(shared, "/ui/modules/big/versions/v1.0.0/files/big/f000.proto#big.Shared");
  const std::string kind = HrefOf(page, "Kind");
  EXPECT_EQ(kind, "/ui/modules/big/versions/v1.0.0/files/big/f000.proto#big.Kind");
  std::string target = Page(shared.substr(0, shared.find('#')));
  EXPECT_TRUE(Contains(target, "id=\"big.Shared\"")) << target;
  EXPECT_TRUE(Contains(target, "id=\"big.Kind\""));
  EXPECT_TRUE(Contains(target, "What every file shares."));
  // "latest" documents the same.
  EXPECT_TRUE(
      Contains(Page("/ui/modules/big/versions/latest/files/big/f001.proto"), "id=\"big.M001\""));
}

TEST_F(UiLargeVersion, AnotherModulesTypeLinksLeadToTheFilePageThatDocumentsTheType) {
  const std::string href = "/ui/modules/big/versions/v1.0.0/files/big/f000.proto#big.Shared";
  std::string version = Page("/ui/modules/user/versions/v1.0.0");
  EXPECT_EQ(HrefOf(version, "big.Shared"), href) << version;
  std::string file = Page("/ui/modules/user/versions/v1.0.0/files/user/user.proto");
  EXPECT_EQ(HrefOf(file, "big.Shared"), href) << file;
  EXPECT_TRUE(Contains(Page(href.substr(0, href.find('#'))), "id=\"big.Shared\""));
}

}  // namespace
}  // namespace spoke::e2e
