// Spoke's in-process generators write the same bytes as stock protoc for the same inputs.
#include <fstream>
#include <sstream>
#include <vector>

#include "toolchain_support.h"

namespace spoke::toolchain {
namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void ExpectSameAsProtoc(const std::string& language, const std::vector<std::string>& out_flags) {
  if (!HaveTool("protoc")) GTEST_SKIP() << "protoc is not installed";
  auto sample = MakeSampleStore(SampleSources());
  ASSERT_NE(sample, nullptr);
  sample->request.languages = {language};
  auto artifacts = CompileWithCache(*sample->store, sample->request, nullptr);
  ASSERT_TRUE(artifacts.ok()) << artifacts.status().ToString();
  const GeneratedFiles& files = artifacts->at(language).files;
  ASSERT_FALSE(files.empty());

  std::filesystem::path src = sample->dir.path() / "src", out = sample->dir.path() / "protoc-out";
  WriteFiles(src, SampleSources());
  std::filesystem::create_directories(out);
  std::string flags;
  for (const auto& flag : out_flags) flags += " " + flag + "=" + out.string();
  auto ran = RunShell("cd " + src.string() + " && protoc -I." + flags +
                      " shop/order.proto common/types.proto");
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  size_t protoc_files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out)) {
    if (!entry.is_regular_file()) continue;
    ++protoc_files;
    std::string relative = std::filesystem::relative(entry.path(), out).generic_string();
    auto it = files.find(relative);
    ASSERT_NE(it, files.end()) << "spoke did not write " << relative;
    EXPECT_EQ(it->second, ReadAll(entry.path())) << relative << " differs from protoc's";
  }
  EXPECT_EQ(protoc_files, files.size());
}

TEST(ProtocParity, CppOutputIsByteForByteProtocs) { ExpectSameAsProtoc("cpp", {"--cpp_out"}); }

TEST(ProtocParity, PythonOutputAndStubsAreByteForByteProtocs) {
  ExpectSameAsProtoc("python", {"--python_out", "--pyi_out"});
}

}  // namespace
}  // namespace spoke::toolchain
