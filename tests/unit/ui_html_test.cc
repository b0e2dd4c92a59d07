// The web UI's escaping, URL encoding, HTML builder, page validators and .proto highlighter
// (remote/ui_html.h, remote/build_identity.h, remote/ui_proto_highlight.h).
#include <gtest/gtest.h>

#include <regex>

#include "build_identity.h"
#include "ui_assets.h"
#include "ui_html.h"
#include "ui_proto_highlight.h"

namespace spoke::ui {
namespace {

TEST(UiEscape, WritesTheFiveSpecialCharactersAsReferencesAndKeepsEverythingElse) {
  EXPECT_EQ(Escape(R"(<script>alert("x")</script> & 'y')"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
  EXPECT_EQ(Escape("plain text, ümlauts and 日本"), "plain text, ümlauts and 日本");
  EXPECT_EQ(Escape(""), "");
  EXPECT_EQ(Escape("&amp;"), "&amp;amp;");
}

TEST(UiEscape, CannotEndAnAttributeValue) {
  Html html;
  html.Link("/x\" onmouseover=\"alert(1)", "t");
  EXPECT_EQ(html.str(), "<a href=\"/x&quot; onmouseover=&quot;alert(1)\">t</a>");
}

TEST(UiUrl, PercentEncodesEverythingButUnreservedCharactersAndSlashesInPaths) {
  EXPECT_EQ(UrlPath("acme/user v1/a#b?c%d.proto"), "acme/user%20v1/a%23b%3Fc%25d.proto");
  EXPECT_EQ(UrlPath("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(UrlQueryValue("a b/c&d=e"), "a%20b%2Fc%26d%3De");
}

TEST(UiHtml, TextIsEscapedAndRawIsNot) {
  Html html;
  html.Raw("<p>").Text("<b>").Element("td", "a<b").Raw("</p>");
  EXPECT_EQ(html.str(), "<p>&lt;b&gt;<td>a&lt;b</td></p>");
}

TEST(UiPage, EscapesTheTitleAndQueryAndLinksTheAssetsByHash) {
  Page page;
  page.title = "<script>t</script>";
  page.query = "\"><script>q</script>";
  page.main = "<p>main</p>";
  std::string html = RenderPage(page);
  EXPECT_EQ(html.find("<script>t"), std::string::npos);
  EXPECT_EQ(html.find("<script>q"), std::string::npos);
  EXPECT_NE(html.find("<title>&lt;script&gt;t&lt;/script&gt; - Spoke</title>"), std::string::npos);
  EXPECT_NE(html.find("value=\"&quot;&gt;&lt;script&gt;q"), std::string::npos);
  EXPECT_NE(html.find("<main id=\"main\">\n<p>main</p></main>"), std::string::npos);
  EXPECT_NE(html.find("/ui/assets/spoke.css?v=" + FindAsset("spoke.css")->hash), std::string::npos);
  EXPECT_NE(html.find("/ui/assets/spoke.js?v=" + FindAsset("spoke.js")->hash), std::string::npos);
}

TEST(UiAssets, AreNamedByTheirContentsHash) {
  const Asset* css = FindAsset("spoke.css");
  ASSERT_NE(css, nullptr);
  EXPECT_EQ(css->hash.size(), 16u);
  EXPECT_NE(css->hash, FindAsset("spoke.js")->hash);
  EXPECT_EQ(FindAsset("other.css"), nullptr);
}

TEST(UiETag, AContentETagIsSixteenHexDigitsAndTellsListsOfPartsApart) {
  const std::string etag = ContentETag({"file page", "tag", "a/b.proto"});
  EXPECT_TRUE(std::regex_match(etag, std::regex("[0-9a-f]{16}"))) << etag;
  EXPECT_EQ(etag, ContentETag({"file page", "tag", "a/b.proto"}));
  EXPECT_NE(etag, ContentETag({"file page", "tag", "a/c.proto"}));
  EXPECT_NE(ContentETag({"ab", "c"}), ContentETag({"a", "bc"}));
  EXPECT_NE(ContentETag({"ab"}), ContentETag({"a", "b"}));
}

// The linker writes a GNU build id into Debian's binaries; without one, BuildIdentity still
// names this process.
TEST(UiETag, TheBuildIdentityIsTheExecutablesBuildId) {
  const std::string& id = BuildIdentity();
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(&id, &BuildIdentity());
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{16,}"))) << id;
}

TEST(UiHighlight, MarksKeywordsStringsNumbersAndComments) {
  auto lines =
      HighlightProtoLines("syntax = \"proto3\";\nmessage User {\n  string id = 1; // the id\n}\n");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0],
            "<span class=\"kw\">syntax</span> = <span class=\"str\">&quot;proto3&quot;"
            "</span>;");
  EXPECT_EQ(lines[1], "<span class=\"kw\">message</span> User {");
  EXPECT_EQ(lines[2],
            "  <span class=\"kw\">string</span> id = <span class=\"num\">1</span>; "
            "<span class=\"com\">// the id</span>");
  EXPECT_EQ(lines[3], "}");
}

TEST(UiHighlight, LeavesKeywordsInsideNamesAlone) {
  auto lines = HighlightProtoLines("  acme.message.Type messages = 2;");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "  acme.message.Type messages = <span class=\"num\">2</span>;");
}

TEST(UiHighlight, ClosesABlockCommentAtEachLineEndAndReopensItOnTheNext) {
  auto lines = HighlightProtoLines("/* one\ntwo <b>\nthree */ message M {}");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "<span class=\"com\">/* one</span>");
  EXPECT_EQ(lines[1], "<span class=\"com\">two &lt;b&gt;</span>");
  EXPECT_EQ(lines[2], "<span class=\"com\">three */</span> <span class=\"kw\">message</span> M {}");
}

TEST(UiHighlight, EscapesHostileContentInEveryToken) {
  auto lines = HighlightProtoLines(
      "// <script>alert(1)</script>\noption x = \"</span><script>\";\n<img src=x onerror=y>\n"
      "/* <script> */ '<b>'");
  ASSERT_EQ(lines.size(), 4u);
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find("<script"), std::string::npos) << line;
    EXPECT_EQ(line.find("<img"), std::string::npos) << line;
    EXPECT_EQ(line.find("<b>"), std::string::npos) << line;
  }
  EXPECT_EQ(lines[2], "&lt;img src=x onerror=y&gt;");
}

TEST(UiHighlight, AnUnterminatedStringEndsWithItsLine) {
  auto lines = HighlightProtoLines("x = \"open\\\"\nmessage M {}");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "x = <span class=\"str\">&quot;open\\&quot;</span>");
  EXPECT_EQ(lines[1], "<span class=\"kw\">message</span> M {}");
}

TEST(UiLines, SplitAtNewlinesDroppingCarriageReturnsAndNoEmptyLastLine) {
  EXPECT_EQ(PlainLines("a\r\n<b>\n"), (std::vector<std::string>{"a", "&lt;b&gt;"}));
  EXPECT_EQ(PlainLines("a\n\nb"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_TRUE(PlainLines("").empty());
}

}  // namespace
}  // namespace spoke::ui
