// The suite's own promises: every command line of the document is covered by a test (the table
// below, checked against the document copy), and the splitter reads lines as sh would.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "seed_support.h"

namespace spoke::seed {
namespace {

// Each command line of the document (the first line of a continued command or a heredoc) and the
// test that runs it.
const std::map<int, std::string> kCoveredLines = {
    {43, "SeedServices.GrpcServiceCommunication"},
    {44, "SeedServices.GrpcServiceCommunication"},
    {68, "SeedServices.StreamingProtocols"},
    {71, "SeedServices.StreamingProtocols"},
    {106, "SeedServices.VersionManagementForApiEvolution"},
    {109, "SeedServices.VersionManagementForApiEvolution"},
    {112, "SeedServices.VersionManagementForApiEvolution"},
    {113, "SeedServices.VersionManagementForApiEvolution"},
    {135, "SeedServices.DependencyResolution"},
    {145, "SeedServices.PreCompilationGoService"},
    {146, "SeedServices.PreCompilationGoService"},
    {151, "SeedServices.PreCompilationPythonService"},
    {152, "SeedServices.PreCompilationPythonService"},
    {157, "SeedServices.PreCompilationCppService"},
    {158, "SeedServices.PreCompilationCppService"},
    {170, "SeedComponents.HttpApiServer"},
    {186, "SeedComponents.CliPushSchemas"},
    {191, "SeedComponents.CliPullSchemas"},
    {196, "SeedComponents.CliCompileLocally"},
    {201, "SeedComponents.CliValidateSchemas"},
    {206, "SeedComponents.CliBatchOperations"},
    {214, "SeedComponents.SprocketCompilationService"},
    {363, "SeedAgents.SchemaEvolutionTracking"},
    {364, "SeedAgents.SchemaEvolutionTracking"},
    {365, "SeedAgents.SchemaEvolutionTracking"},
    {391, "SeedAgents.DistributedAiAgentSystem"},
    {413, "SeedAgents.DistributedAiAgentSystem"},
    {416, "SeedAgents.DistributedAiAgentSystem"},
    {417, "SeedAgents.DistributedAiAgentSystem"},
    {420, "SeedAgents.DistributedAiAgentSystem"},
    {421, "SeedAgents.DistributedAiAgentSystem"},
    {454, "SeedAgents.MicroserviceMesh"},
    {457, "SeedAgents.MicroserviceMesh"},
    {458, "SeedAgents.MicroserviceMesh"},
    {459, "SeedAgents.MicroserviceMesh"},
    {462, "SeedAgents.MicroserviceMesh"},
    {471, "SeedDeployment.DevelopmentEnvironment"},
    {474, "SeedDeployment.DevelopmentEnvironmentSprocket"},
    {477, "SeedDeployment.DevelopmentEnvironment"},
    {484, "SeedDeployment.ProductionEnvironment"},
    {487, "SeedDeployment.ProductionEnvironmentSystemdSprocket"},
    {490, "SeedDeployment.ProductionEnvironment"},
    {493, "SeedDeployment.ProductionEnvironment"},
    {502, "SeedDeployment.CiCdIntegration"},
    {522, "SeedDeployment.ExplicitDependencies"},
    {582, "SeedDeployment.TroubleshootingIncompatibleSchemas"},
    {583, "SeedDeployment.TroubleshootingIncompatibleSchemas"},
    {584, "SeedDeployment.TroubleshootingIncompatibleSchemas"},
    {591, "SeedDeployment.TroubleshootingCompilationFails"},
    {592, "SeedDeployment.TroubleshootingCompilationFails"},
    {599, "SeedDeployment.TroubleshootingImportNotFound"},
};

// The programs a command line of the document starts with.
bool StartsACommand(const std::string& trimmed) {
  for (const char* program :
       {"spoke ", "spoke-server ", "sprocket ", "diff ", "protoc ", "cat ", "systemctl "}) {
    if (trimmed.rfind(program, 0) == 0) return true;
  }
  return false;
}

TEST(SeedDocument, EveryCommandLineOfTheDocumentHasATest) {
  const auto& lines = DocumentLines();
  ASSERT_EQ(lines.size(), 641u) << "the document copy is not the original document";
  EXPECT_EQ(lines[0], "# Spoke for Service Communication");
  std::map<int, std::string> commands;
  bool in_shell_block = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("```", 0) == 0) {
      in_shell_block = !in_shell_block && (line == "```bash" || line == "```yaml");
      continue;
    }
    const size_t first = line.find_first_not_of(' ');
    if (in_shell_block && first != std::string::npos && StartsACommand(line.substr(first)))
      commands[static_cast<int>(i + 1)] = line.substr(first);
  }
  for (const auto& [number, text] : commands) {
    EXPECT_TRUE(kCoveredLines.count(number)) << "line " << number << " has no test: " << text;
  }
  for (const auto& [number, test] : kCoveredLines) {
    EXPECT_TRUE(commands.count(number))
        << "line " << number << " (" << test << ") is not a command line of the document";
  }
}

TEST(SeedDocument, SplitterReadsWordsQuotesCommentsAndContinuationsAsShDoes) {
  auto words = [](const std::string& text) {
    ShellWords split = SplitShellWords(text);
    EXPECT_EQ(split.error, "") << text;
    return split.words;
  };
  using Words = std::vector<std::string>;
  EXPECT_EQ(words("spoke pull -module user -version v1.0.0  # Legacy"),
            (Words{"spoke", "pull", "-module", "user", "-version", "v1.0.0"}));
  EXPECT_EQ(words("spoke pull -module common -version v1.2.0  # Not \"latest\""),
            (Words{"spoke", "pull", "-module", "common", "-version", "v1.2.0"}));
  EXPECT_EQ(words("spoke push -dir ./proto -description \"User service API\""),
            (Words{"spoke", "push", "-dir", "./proto", "-description", "User service API"}));
  EXPECT_EQ(words("spoke push \\\n      -module a/b \\\n      -version v1"),
            (Words{"spoke", "push", "-module", "a/b", "-version", "v1"}));
  EXPECT_EQ(words("a 'x \"y\" $z' \"p\\\"q\\\\r\" s\\ t u#v"),
            (Words{"a", "x \"y\" $z", "p\"q\\r", "s t", "u#v"}));
  EXPECT_EQ(words("a\"b\"'c'd"), (Words{"abcd"}));
  EXPECT_EQ(words("  # only a comment"), Words{});

  for (std::string needs_sh : {"protoc --go_out=/tmp ./proto/*.proto", "cat > a.proto <<EOF",
                               "spoke push -module ${{ github.repository }}", "a | b", "a; b",
                               "a \"$HOME\"", "a 'open", "a \"open", "a \\"}) {
    EXPECT_NE(SplitShellWords(needs_sh).error, "") << needs_sh;
  }
}

TEST(SeedDocument, ALiteralThatIsNotTheDocumentsLineIsReported) {
  EXPECT_NONFATAL_FAILURE(
      ExpectVerbatim({43, "spoke pull -module order -version v1.2.1 -dir ./proto"}),
      "not the document's line 43");
  EXPECT_NONFATAL_FAILURE(
      ExpectVerbatim({502, "spoke push \\\n  -module ${{ github.repository }} \\"}),
      "not the document's line 503");
}

}  // namespace
}  // namespace spoke::seed
