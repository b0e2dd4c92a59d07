// Generated code is used with the real toolchains: C++ with g++ and libprotobuf, Python with
// python3-protobuf (Debian's /usr/bin/python3), Java with javac and Debian's protobuf-java, Go with
// go build (skipped only where no Go toolchain is installed).
#include "toolchain_support.h"

namespace spoke::toolchain {
namespace {

// Compiles the sample for `language` through the cache and writes the output under dir/gen.
std::filesystem::path Generate(SampleStore& sample, const std::string& language) {
  sample.request.languages = {language};
  CompileStats stats;
  auto artifacts = CompileWithCache(*sample.store, sample.request, &stats);
  EXPECT_TRUE(artifacts.ok()) << artifacts.status().ToString();
  std::filesystem::path out = sample.dir.path() / ("gen-" + language);
  if (artifacts.ok()) WriteFiles(out, artifacts->at(language).files);
  return out;
}

TEST(GeneratedCode, CppBuildsWithGxxAndRoundTripsAMessage) {
  auto sample = MakeSampleStore(SampleSources());
  ASSERT_NE(sample, nullptr);
  auto gen = Generate(*sample, "cpp");
  WriteFiles(
      gen, {{"main.cc",
             "#include <iostream>\n#include \"shop/order.pb.h\"\n"
             "int main() {\n"
             "  shop::v1::Order order; order.set_id(\"o-1\"); order.add_items(\"book\");\n"
             "  order.mutable_total()->set_units(42); order.mutable_placed_at()->set_seconds(7);\n"
             "  std::string wire; if (!order.SerializeToString(&wire)) return 1;\n"
             "  shop::v1::Order back; if (!back.ParseFromString(wire)) return 2;\n"
             "  std::cout << back.id() << ' ' << back.total().units() << ' ' << back.items(0)\n"
             "            << ' ' << back.placed_at().seconds() << std::endl;\n"
             "  return 0;\n}\n"}});
  auto built = RunShell(
      "cd " + gen.string() +
      " && g++ -std=c++17 -I. main.cc shop/order.pb.cc common/types.pb.cc -lprotobuf -o roundtrip");
  ASSERT_EQ(built.exit_code, 0) << built.output;
  auto ran = RunShell(gen.string() + "/roundtrip");
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_EQ(ran.output, "o-1 42 book 7\n");
}

TEST(GeneratedCode, PythonImportsAndRoundTripsAMessage) {
  auto sample = MakeSampleStore(SampleSources());
  ASSERT_NE(sample, nullptr);
  auto gen = Generate(*sample, "python");
  EXPECT_TRUE(std::filesystem::exists(gen / "shop/order_pb2.pyi"));
  WriteFiles(gen, {{"check.py",
                    "from shop import order_pb2\n"
                    "o = order_pb2.Order(id='o-1', items=['book'])\n"
                    "o.total.units = 42\n"
                    "back = order_pb2.Order.FromString(o.SerializeToString())\n"
                    "print(back.id, back.total.units, back.items[0])\n"}});
  auto ran = RunShell("cd " + gen.string() + " && /usr/bin/python3 check.py");
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_EQ(ran.output, "o-1 42 book\n");
}

TEST(GeneratedCode, JavaCompilesWithJavacAndRoundTripsAMessage) {
  if (!HaveTool("javac")) GTEST_SKIP() << "javac is not installed";
  const std::string jar = "/usr/share/java/protobuf.jar";
  ASSERT_TRUE(std::filesystem::exists(jar)) << "install libprotobuf-java";
  auto sample = MakeSampleStore(SampleSources());
  ASSERT_NE(sample, nullptr);
  auto gen = Generate(*sample, "java");
  WriteFiles(
      gen,
      {{"Check.java",
        "import com.example.shop.v1.Order;\n"
        "public class Check {\n"
        "  public static void main(String[] a) throws Exception {\n"
        "    Order o = Order.newBuilder().setId(\"o-1\").addItems(\"book\")\n"
        "        .setTotal(com.example.common.v1.Types.Money.newBuilder().setUnits(42)).build();\n"
        "    Order back = Order.parseFrom(o.toByteArray());\n"
        "    System.out.println(back.getId() + \" \" + back.getTotal().getUnits() + \" \" + "
        "back.getItems(0));\n"
        "  }\n}\n"}});
  auto built = RunShell("cd " + gen.string() + " && javac -nowarn -cp " + jar +
                        " -d classes Check.java $(find com -name '*.java')");
  ASSERT_EQ(built.exit_code, 0) << built.output;
  auto ran = RunShell("cd " + gen.string() + " && java -cp classes:" + jar + " Check");
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_EQ(ran.output, "o-1 42 book\n");
}

TEST(GeneratedCode, GoBuildsWithTheGoToolchain) {
  if (!HaveTool("go") || !HaveTool("protoc-gen-go") ||
      !std::filesystem::exists("/usr/share/gocode/src/google.golang.org/protobuf")) {
    GTEST_SKIP() << "needs golang-go, protoc-gen-go and golang-google-protobuf-dev";
  }
  auto sample = MakeSampleStore(SampleSources());
  ASSERT_NE(sample, nullptr);
  auto gen = Generate(*sample, "go");
  // GOPATH mode over Debian's packaged Go sources: no network, no module download.
  std::filesystem::path gopath = sample->dir.path() / "gopath";
  std::filesystem::create_directories(gopath / "src");
  std::filesystem::rename(gen / "example.com", gopath / "src/example.com");
  WriteFiles(gopath / "src/example.com/check",
             {{"main.go",
               "package main\n"
               "import (\n  \"fmt\"\n  \"google.golang.org/protobuf/proto\"\n"
               "  shopv1 \"example.com/gen/shop/v1\"\n  commonv1 \"example.com/gen/common/v1\"\n)\n"
               "func main() {\n"
               "  o := &shopv1.Order{Id: \"o-1\", Items: []string{\"book\"}, Total: "
               "&commonv1.Money{Units: 42}}\n"
               "  b, err := proto.Marshal(o)\n  if err != nil { panic(err) }\n"
               "  back := &shopv1.Order{}\n  if err := proto.Unmarshal(b, back); err != nil { "
               "panic(err) }\n"
               "  fmt.Println(back.Id, back.Total.Units, back.Items[0])\n}\n"}});
  std::string env = "GO111MODULE=off GOFLAGS= GOPATH=" + gopath.string() +
                    ":/usr/share/gocode GOCACHE=" + (sample->dir.path() / "gocache").string();
  auto ran = RunShell(env + " go run example.com/check");
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_EQ(ran.output, "o-1 42 book\n");
}

}  // namespace
}  // namespace spoke::toolchain
