// The schema as documentation (remote/ui_schema_docs.h, remote/ui_version_schema.h): two modules
// pushed through the CLI, one importing the other, read back from the registry's store and
// rendered as the version page would. Every message, enum, service and RPC has its anchor; types
// link to their definitions, across modules (a mounted dependency's too); comments are docs,
// escaped; map fields, oneofs, nested types, proto2 labels, extensions and deprecated declarations
// show as declared; a hostile file path is escaped and percent-encoded; parsed versions are cached.
#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "deps_fixture.h"
#include "spoke/store.h"
#include "ui_assets.h"
#include "ui_version_schema.h"

namespace spoke::e2e {
namespace {

namespace pb = google::protobuf;

// The dependency: buf's layout, its files at their own paths.
const FileSet kCommonFiles = {{"common/legacy.proto", R"(syntax = "proto2";
package acme.common.v1;

import "common/money.proto";

message Ledger {
  required string id = 1;
  optional int32 count = 2;
  repeated Money entries = 3;
  extensions 100 to 199;
}

// Where a ledger was kept.
extend Ledger {
  optional string branch = 100;
}

message Audit {
  extend Ledger {
    // Who audited it.
    optional Money audited_total = 101;
  }
}
)"},
                              {"common/money.proto", R"(syntax = "proto3";
package acme.common.v1;

// An amount of money.
message Money {
  string currency = 1;
  int64 units = 2;
}

enum Rounding {
  ROUNDING_UNSPECIFIED = 0;
  ROUNDING_HALF_EVEN = 1;
}
)"}};

// The original Spoke's layout: its file at the module's root, imported as "shared/units.proto" (the
// pin is mounted under the module's name).
const FileSet kUnits = {{"units.proto", R"(syntax = "proto3";
package acme.shared;

message Unit {
  string name = 1;
}
)"}};

// "message Order" is on line 16, "rpc Charge" on line 48.
const FileSet kPay = {{"pay/order.proto", R"(syntax = "proto3";
// Payments of orders.
package acme.pay.v1;

import "common/money.proto";
import "google/protobuf/timestamp.proto";
import "shared/units.proto";

// An order <b>to pay</b> & "settle".
//
// A second paragraph, <script>alert('x')</script>.
//
//
//   Indented more.
//   Still the third.
message Order {
  // The total, in the customer's currency.
  acme.common.v1.Money total = 1;
  map<string, acme.common.v1.Money> lines = 2;
  oneof method {
    string card = 3;
    string iban = 4;
  }
  string legacy = 5 [deprecated = true];
  Item first = 6;
  repeated Status history = 7;
  google.protobuf.Timestamp placed = 8;
  acme.common.v1.Rounding rounding = 9;  // How to round.
  optional string note = 10;
  acme.shared.Unit unit = 11;

  message Item {
    string sku = 1;
    message Part {
      string id = 1;
    }
  }
  enum Status {
    STATUS_UNSPECIFIED = 0;
    STATUS_PAID = 1 [deprecated = true];
  }
}

message Empty {}

service Payments {
  // Charges an order.
  rpc Charge(Order) returns (acme.common.v1.Money);
  rpc Watch(stream Order) returns (stream Order.Item) {
    option deprecated = true;
  }
}
)"}};

class UiSchemaDocs : public DependencyFixture {
 protected:
  void SetUp() override {
    StartServer();
    MustPush("common", "v1.0.0", kCommonFiles);
    MustPush("shared", "v1.0.0", kUnits);
    MustPush("pay", "v1.0.0", kPay, {"common@v1.0.0", "shared@v1.0.0"});
    auto store = Store::Open(work_.Sub("storage"), false);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  // The documentation of `module`'s latest version, as the version page renders it.
  std::string Render(const std::string& module) {
    auto version = store_->GetVersion(module, "latest");
    EXPECT_TRUE(version.ok()) << version.status().ToString();
    if (!version.ok()) return "";
    auto schema = LoadVersionSchema(*store_, *version);
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    if (!schema.ok()) return "";
    schema_ = std::make_unique<VersionSchema>(std::move(*schema));
    return RenderSchemaDocs(schema_->image->files(), LinksFor(*schema_));
  }

  // The table row (<tr id="`id`" ...</tr>) of a field or enum value; "" when absent.
  static std::string Row(const std::string& html, const std::string& id) {
    size_t start = html.find("<tr id=\"" + id + "\"");
    if (start == std::string::npos) return "";
    return html.substr(start, html.find("</tr>", start) + 5 - start);
  }

  // The section whose id is `id`, up to where the next section starts; "" when absent.
  static std::string Section(const std::string& html, const std::string& id) {
    size_t start = html.find("id=\"" + id + "\">");
    if (start == std::string::npos) return "";
    return html.substr(start, html.find("<section", start) - start);
  }

  std::unique_ptr<Store> store_;
  std::unique_ptr<VersionSchema> schema_;
};

void ExpectAnchorsOfMessage(const std::string& html, const pb::Descriptor* message) {
  if (message->options().map_entry()) {
    EXPECT_FALSE(Contains(html, "id=\"" + message->full_name() + "\""))
        << message->full_name() << " is a map's entry, not a type of the schema";
    return;
  }
  EXPECT_TRUE(Contains(html, "<section class=\"schema-message\" id=\"" + message->full_name()))
      << message->full_name();
  EXPECT_TRUE(Contains(html, "<a href=\"#" + message->full_name() + "\">"))
      << message->full_name() << " is not in the table of contents";
  for (int i = 0; i < message->nested_type_count(); ++i)
    ExpectAnchorsOfMessage(html, message->nested_type(i));
  for (int i = 0; i < message->enum_type_count(); ++i) {
    EXPECT_TRUE(Contains(
        html, "<section class=\"schema-enum\" id=\"" + message->enum_type(i)->full_name() + "\">"));
  }
}

TEST_F(UiSchemaDocs, EveryMessageEnumServiceAndRpcHasItsFullNameAsAnchor) {
  std::string html = Render("pay");
  ASSERT_EQ(schema_->image->files().size(), 1u);
  const pb::FileDescriptor* file = schema_->image->files()[0];
  for (int i = 0; i < file->message_type_count(); ++i)
    ExpectAnchorsOfMessage(html, file->message_type(i));
  for (int i = 0; i < file->service_count(); ++i) {
    const pb::ServiceDescriptor* service = file->service(i);
    EXPECT_TRUE(Contains(html, "<section class=\"schema-service\" id=\"" + service->full_name()));
    for (int j = 0; j < service->method_count(); ++j)
      EXPECT_TRUE(Contains(html, "id=\"" + service->method(j)->full_name() + "\""));
  }
  // The walk above saw what the test means it to.
  for (const char* id :
       {"acme.pay.v1.Order", "acme.pay.v1.Order.Item", "acme.pay.v1.Order.Item.Part",
        "acme.pay.v1.Order.Status", "acme.pay.v1.Empty", "acme.pay.v1.Payments",
        "acme.pay.v1.Payments.Charge", "acme.pay.v1.Payments.Watch"}) {
    EXPECT_TRUE(Contains(html, std::string("id=\"") + id + "\"")) << id;
  }
  EXPECT_TRUE(Contains(html, "id=\"file-pay/order.proto\""));
  EXPECT_TRUE(Contains(html, "<a href=\"#file-pay/order.proto\">pay/order.proto</a>"));

  std::string common = Render("common");
  EXPECT_TRUE(Contains(common, "id=\"acme.common.v1.Money\""));
  EXPECT_TRUE(Contains(common, "id=\"acme.common.v1.Rounding\""));
  EXPECT_TRUE(Contains(common, "<tr id=\"acme.common.v1.Rounding.ROUNDING_HALF_EVEN\""));
}

TEST_F(UiSchemaDocs, ATypeOfTheDependencyLinksToTheDependencysVersionPageAtItsAnchor) {
  std::string html = Render("pay");
  const std::string money =
      "<a href=\"/ui/modules/common/versions/v1.0.0#acme.common.v1.Money\">"
      "acme.common.v1.Money</a>";
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.total"), money)) << html;
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.rounding"),
                       "<a href=\"/ui/modules/common/versions/v1.0.0#acme.common.v1.Rounding\">"));
  // An RPC's request and response are linked too, here and across modules.
  std::string charge = Section(html, "acme.pay.v1.Payments.Charge");
  EXPECT_TRUE(Contains(
      charge, "<code>Charge</code>(<code><a href=\"#acme.pay.v1.Order\">Order</a></code>)"))
      << charge;
  EXPECT_TRUE(Contains(charge, "returns (<code>" + money + "</code>)")) << charge;
  std::string watch = Section(html, "acme.pay.v1.Payments.Watch");
  EXPECT_TRUE(Contains(watch, "(stream <code><a href=\"#acme.pay.v1.Order\">Order</a></code>)"));
  EXPECT_TRUE(Contains(
      watch, "returns (stream <code><a href=\"#acme.pay.v1.Order.Item\">Order.Item</a></code>)"));
  // A well-known type has no page in the registry: it is named, not linked.
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.placed"),
                       "<td><code>google.protobuf.Timestamp</code></td>"));
}

TEST_F(UiSchemaDocs, AMountedDependencysFilesLinkToTheirPathsInTheirOwnModule) {
  std::string html = Render("pay");
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.unit"),
                       "<a href=\"/ui/modules/shared/versions/v1.0.0#acme.shared.Unit\">"));
  const FileOwner& owner = schema_->owners.at("shared/units.proto");
  EXPECT_EQ(owner.module, "shared");
  EXPECT_EQ(owner.version, "v1.0.0");
  EXPECT_EQ(owner.path, "units.proto");
  EXPECT_EQ(LinksFor(*schema_)("shared/units.proto").source_page,
            "/ui/modules/shared/versions/v1.0.0/files/units.proto");
  EXPECT_EQ(schema_->owners.at("common/money.proto").path, "common/money.proto");
  EXPECT_EQ(schema_->owners.at("pay/order.proto").module, "pay");
  // The well-known types come from libprotobuf: no module owns them.
  EXPECT_EQ(schema_->owners.count("google/protobuf/timestamp.proto"), 0u);
  EXPECT_EQ(LinksFor(*schema_)("google/protobuf/timestamp.proto").docs_page, "");
}

TEST_F(UiSchemaDocs, EachDeclarationLinksToItsSourceLine) {
  std::string html = Render("pay");
  EXPECT_TRUE(Contains(Section(html, "acme.pay.v1.Order"),
                       "defined at <a href=\"/ui/modules/pay/versions/v1.0.0/files/"
                       "pay/order.proto#L16\">pay/order.proto:16</a>"))
      << html;
  EXPECT_TRUE(Contains(html,
                       "<h2><a href=\"/ui/modules/pay/versions/v1.0.0/files/"
                       "pay/order.proto\">pay/order.proto</a></h2>"));
  EXPECT_TRUE(Contains(Section(html, "acme.pay.v1.Payments.Charge"), "pay/order.proto:48</a>"));
  std::string common = Render("common");
  EXPECT_TRUE(Contains(common,
                       "<a href=\"/ui/modules/common/versions/v1.0.0/files/"
                       "common/money.proto#L5\">common/money.proto:5</a>"));
}

TEST_F(UiSchemaDocs, CommentsAreDocsEscapedWithTheirParagraphs) {
  std::string html = Render("pay");
  std::string order = Section(html, "acme.pay.v1.Order");
  EXPECT_TRUE(Contains(order,
                       "<div class=\"doc\"><p>An order &lt;b&gt;to pay&lt;/b&gt; &amp; "
                       "&quot;settle&quot;.</p><p>A second paragraph, "
                       "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;.</p><p>  Indented more.\n"
                       "  Still the third.</p></div>"))
      << order;
  EXPECT_FALSE(Contains(html, "<b>"));
  EXPECT_FALSE(Contains(html, "<script>"));
  // A field's leading comment, and a trailing one where there is no leading one.
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.total"),
                       "<p>The total, in the customer&#39;s currency.</p>"));
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.rounding"), "<p>How to round.</p>"));
  // A file's docs are its package statement's comment; an RPC's its own.
  EXPECT_TRUE(Contains(html, "<p>Payments of orders.</p>"));
  EXPECT_TRUE(Contains(Section(html, "acme.pay.v1.Payments.Charge"), "<p>Charges an order.</p>"));
}

TEST_F(UiSchemaDocs, NestedTypesMapFieldsAndOneofsShowAsDeclared) {
  std::string html = Render("pay");
  // A nested type is linked within the page, named from its package.
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.first"),
                       "<a href=\"#acme.pay.v1.Order.Item\">Order.Item</a>"));
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.history"), "<td>repeated</td>"));
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.history"),
                       "<a href=\"#acme.pay.v1.Order.Status\">Order.Status</a>"));
  EXPECT_TRUE(Contains(Section(html, "acme.pay.v1.Order.Item.Part"), "Order.Item.Part"));
  // A map field: its key and value types, the value linked; its entry type is no section.
  std::string lines = Row(html, "acme.pay.v1.Order.lines");
  EXPECT_TRUE(Contains(lines, "<td>map</td>")) << lines;
  EXPECT_TRUE(Contains(lines,
                       "map&lt;<code>string</code>, <code><a href=\"/ui/modules/common/versions/"
                       "v1.0.0#acme.common.v1.Money\">acme.common.v1.Money</a></code>&gt;"))
      << lines;
  EXPECT_FALSE(Contains(html, "LinesEntry"));
  // The fields of a oneof name it; proto3's optional is its own synthetic oneof, shown as optional.
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.card"), "<td>oneof method</td>"));
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.iban"), "<td>oneof method</td>"));
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.note"), "<td>optional</td>"));
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.total"), "<td></td>"));
  EXPECT_TRUE(Contains(Section(html, "acme.pay.v1.Empty"), "No fields."));
}

TEST_F(UiSchemaDocs, DeprecatedFieldsValuesAndRpcsAreMarked) {
  std::string html = Render("pay");
  std::string legacy = Row(html, "acme.pay.v1.Order.legacy");
  EXPECT_TRUE(Contains(legacy, "class=\"deprecated\"")) << legacy;
  EXPECT_TRUE(Contains(legacy, "<span class=\"deprecated\">deprecated</span>")) << legacy;
  EXPECT_FALSE(Contains(Row(html, "acme.pay.v1.Order.total"), "deprecated"));
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.Status.STATUS_PAID"), "class=\"deprecated\""));
  EXPECT_TRUE(Contains(Section(html, "acme.pay.v1.Payments.Watch"),
                       "<span class=\"deprecated\">deprecated</span>"));
  EXPECT_FALSE(Contains(Section(html, "acme.pay.v1.Payments.Charge"), "deprecated"));
}

TEST_F(UiSchemaDocs, AHostileFilePathIsEscapedInTextAndPercentEncodedInLinks) {
  const std::string path = "evil/<b> \"x'&#?.proto";
  MustPush("evil", "v1.0.0",
           {{path, "syntax = \"proto3\";\npackage evil;\n\nmessage M {\n  string s = 1;\n}\n"}});
  std::string html = Render("evil");
  EXPECT_FALSE(Contains(html, "<b>")) << html;
  EXPECT_FALSE(Contains(html, path));
  EXPECT_TRUE(Contains(html, ">evil/&lt;b&gt; &quot;x&#39;&amp;#?.proto</a>")) << html;
  const std::string encoded = "evil/%3Cb%3E%20%22x%27%26%23%3F.proto";
  EXPECT_TRUE(Contains(html, "<a href=\"#file-" + encoded + "\">"));
  EXPECT_TRUE(Contains(html, "<section class=\"schema-file\" id=\"file-" + encoded + "\">"));
  EXPECT_TRUE(
      Contains(html, "href=\"/ui/modules/evil/versions/v1.0.0/files/" + encoded + "#L4\">"));
}

TEST_F(UiSchemaDocs, Proto2LabelsAndExtensionsShowAsDeclared) {
  std::string html = Render("common");
  EXPECT_TRUE(Contains(Row(html, "acme.common.v1.Ledger.id"), "<td>required</td>"));
  EXPECT_TRUE(Contains(Row(html, "acme.common.v1.Ledger.count"), "<td>optional</td>"));
  EXPECT_TRUE(Contains(Row(html, "acme.common.v1.Ledger.entries"), "<td>repeated</td>"));
  // A file's extensions, and a message's, each naming the message it extends.
  std::string branch = Row(html, "acme.common.v1.branch");
  EXPECT_TRUE(Contains(branch, "<td>100</td>")) << html;
  EXPECT_TRUE(Contains(branch, "<a href=\"#acme.common.v1.Ledger\">Ledger</a>")) << branch;
  std::string audited = Row(html, "acme.common.v1.Audit.audited_total");
  EXPECT_TRUE(Contains(audited, "<a href=\"#acme.common.v1.Money\">Money</a>")) << audited;
  EXPECT_TRUE(Contains(audited, "<p>Who audited it.</p>")) << audited;
  EXPECT_TRUE(Contains(Section(html, "acme.common.v1.Audit"), "<h4>Extensions</h4>"));
}

TEST_F(UiSchemaDocs, PartOfAVersionLinksTheTypesOfTheOtherFilesThroughTheLinker) {
  Render("common");
  const pb::FileDescriptor* legacy = schema_->image->FindFile("common/legacy.proto");
  ASSERT_NE(legacy, nullptr);
  std::string html = RenderSchemaDocs({legacy}, LinksFor(*schema_));
  EXPECT_TRUE(Contains(Row(html, "acme.common.v1.Ledger.entries"),
                       "<a href=\"/ui/modules/common/versions/v1.0.0#acme.common.v1.Money\">"))
      << html;
  EXPECT_FALSE(Contains(html, "id=\"acme.common.v1.Money\""));
  EXPECT_TRUE(Contains(html, "<a href=\"#acme.common.v1.Ledger\">Ledger</a>"));
}

// Copies `file` and what it imports, dependencies first, into `pool`, without source info.
void CopyWithoutSourceInfo(const pb::FileDescriptor* file, pb::DescriptorPool* pool) {
  if (pool->FindFileByName(file->name()) != nullptr) return;
  for (int i = 0; i < file->dependency_count(); ++i)
    CopyWithoutSourceInfo(file->dependency(i), pool);
  pb::FileDescriptorProto proto;
  file->CopyTo(&proto);
  ASSERT_NE(pool->BuildFile(proto), nullptr) << file->name();
}

TEST_F(UiSchemaDocs, DescriptorsWithoutSourceInfoRenderWithoutDocsOrLines) {
  Render("pay");
  pb::DescriptorPool pool;
  CopyWithoutSourceInfo(schema_->image->files()[0], &pool);
  const pb::FileDescriptor* file = pool.FindFileByName("pay/order.proto");
  ASSERT_NE(file, nullptr);
  std::string html = RenderSchemaDocs({file}, LinksFor(*schema_));
  EXPECT_TRUE(Contains(html, "<section class=\"schema-message\" id=\"acme.pay.v1.Order\">"));
  EXPECT_TRUE(Contains(Row(html, "acme.pay.v1.Order.total"),
                       "/ui/modules/common/versions/v1.0.0#acme.common.v1.Money"));
  EXPECT_FALSE(Contains(html, "defined at"));
  EXPECT_FALSE(Contains(html, "class=\"doc\""));
}

TEST_F(UiSchemaDocs, TheCacheKeepsParsedVersionsAndDropsTheLeastRecentlyUsed) {
  auto pay = store_->GetVersion("pay", "v1.0.0");
  auto latest = store_->GetVersion("pay", "latest");
  auto common = store_->GetVersion("common", "v1.0.0");
  auto shared = store_->GetVersion("shared", "v1.0.0");
  ASSERT_TRUE(pay.ok() && latest.ok() && common.ok() && shared.ok());
  // pay's closure holds 4 files (its own, common's two, shared's), common's 2 and shared's 1.
  VersionSchemaCache cache(6);
  auto first = cache.Get(*store_, *pay);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto again = cache.Get(*store_, *latest);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->get(), again->get()) << "latest is the same version: parsed once";
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.files(), 4u);
  EXPECT_TRUE(Contains(RenderSchemaDocs((*first)->image->files(), LinksFor(**first)),
                       "id=\"acme.pay.v1.Order\""));

  ASSERT_TRUE(cache.Get(*store_, *common).ok());
  EXPECT_EQ(cache.files(), 6u);
  ASSERT_TRUE(cache.Get(*store_, *shared).ok());  // over the bound: pay, the oldest, goes
  EXPECT_EQ(cache.entries(), 2u);
  EXPECT_EQ(cache.files(), 3u);
  auto reparsed = cache.Get(*store_, *pay);
  ASSERT_TRUE(reparsed.ok());
  EXPECT_NE(reparsed->get(), first->get());
  EXPECT_EQ(cache.files(), 5u);  // common, the least recently used, made room
  EXPECT_EQ(cache.entries(), 2u);
  auto shared_again = cache.Get(*store_, *shared);
  ASSERT_TRUE(shared_again.ok());
  EXPECT_EQ(cache.entries(), 2u) << "shared was still cached";

  // A closure larger than the bound is served but not kept.
  VersionSchemaCache small(3);
  auto big = small.Get(*store_, *pay);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ((*big)->image->files().size(), 1u);
  EXPECT_EQ(small.entries(), 0u);
  EXPECT_EQ(small.files(), 0u);
}

TEST_F(UiSchemaDocs, TheFragmentsTagsAreBalanced) {
  std::string html = Render("pay");
  auto count = [&html](const std::string& needle) {
    size_t n = 0;
    for (size_t at = html.find(needle); at != std::string::npos; at = html.find(needle, at + 1))
      ++n;
    return n;
  };
  for (const char* tag : {"section", "table", "tr", "td", "ul", "li", "p", "a", "code", "div"}) {
    EXPECT_EQ(count(std::string("<") + tag + " ") + count(std::string("<") + tag + ">"),
              count(std::string("</") + tag + ">"))
        << tag;
  }
}

// Every class the fragment uses has a rule in the UI's stylesheet (remote/ui_assets.cc).
TEST_F(UiSchemaDocs, EveryClassTheDocsUseIsStyled) {
  const std::string css(ui::FindAsset("spoke.css")->body);
  std::set<std::string> classes;
  static const std::regex kClass("class=\"([^\"]+)\"");
  for (const char* module : {"pay", "common"}) {
    const std::string html = Render(module);
    for (std::sregex_iterator it(html.begin(), html.end(), kClass), end; it != end; ++it) {
      std::istringstream names((*it)[1].str());
      for (std::string name; names >> name;) classes.insert(name);
    }
  }
  EXPECT_TRUE(classes.count("deprecated"));
  EXPECT_TRUE(classes.count("schema-rpc"));
  for (const std::string& name : classes) {
    EXPECT_TRUE(std::regex_search(css, std::regex("\\." + name + "[^a-z0-9_-]"))) << name;
  }
}

}  // namespace
}  // namespace spoke::e2e
