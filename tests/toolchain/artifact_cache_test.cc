// The artifact cache: a key that is present runs no generator and gives identical bytes; any change
// to a source byte, the generator or its options gives a new key; a broken entry is never served.
#include <google/protobuf/stubs/common.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "toolchain_support.h"

namespace spoke::toolchain {
namespace {

TEST(ArtifactCache, SecondCompileOfTheSameKeyRunsNoGeneratorAndReturnsIdenticalBytes) {
  auto sample = MakeSampleStore(SampleSources());
  ASSERT_NE(sample, nullptr);
  sample->request.languages = {"cpp", "python"};
  CompileStats first, second;
  auto a = CompileWithCache(*sample->store, sample->request, &first);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(first.generator_runs, 2);
  auto b = CompileWithCache(*sample->store, sample->request, &second);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(second.generator_runs, 0);
  EXPECT_EQ(second.hits.size(), 2u);
  for (const char* language : {"cpp", "python"}) {
    EXPECT_EQ(a->at(language).key, b->at(language).key);
    EXPECT_EQ(a->at(language).commit, b->at(language).commit);
    EXPECT_EQ(a->at(language).files, b->at(language).files);
  }
}

TEST(ArtifactCache, TheSameInputsGiveTheSameArtifactCommitInAnotherStore) {
  auto one = MakeSampleStore(SampleSources());
  auto two = MakeSampleStore(SampleSources());
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  one->request.languages = two->request.languages = {"cpp"};
  auto a = CompileWithCache(*one->store, one->request, nullptr);
  auto b = CompileWithCache(*two->store, two->request, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->at("cpp").commit, b->at("cpp").commit);
}

TEST(ArtifactCache, AnArtifactStoredWhileGeneratedHasTheCommitAWholeSnapshotOfItsFilesHas) {
  auto one = MakeSampleStore(SampleSources());
  auto two = MakeSampleStore(SampleSources());
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  one->request.languages = {"cpp", "python"};
  auto compiled = CompileWithCache(*one->store, one->request, nullptr);
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  for (const char* language : {"cpp", "python"}) {
    auto files = one->store->ReadSnapshot(compiled->at(language).commit);
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    Store::FileViews views;
    for (const auto& [path, content] : *files) views.emplace(path, content);
    auto whole = two->store->WriteSnapshot(
        views, "artifact " + compiled->at(language).key + " (" + language + ")\n");
    ASSERT_TRUE(whole.ok()) << whole.status().ToString();
    EXPECT_EQ(*whole, compiled->at(language).commit) << language;
  }
  auto fsck = RunShell("git -C " + one->store->path() + " fsck --strict --no-progress 2>&1");
  EXPECT_EQ(fsck.exit_code, 0) << fsck.output;
}

TEST(ArtifactCache, ChangingOneByteOfOneSourceGivesANewKey) {
  auto sources = SampleSources();
  auto base = MakeSampleStore(sources);
  sources["common/types.proto"] += " ";
  auto changed = MakeSampleStore(sources);
  ASSERT_NE(base, nullptr);
  ASSERT_NE(changed, nullptr);
  base->request.languages = changed->request.languages = {"cpp"};
  auto a = ArtifactKeysFor(base->request);
  auto b = ArtifactKeysFor(changed->request);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->at("cpp").hex, b->at("cpp").hex);
}

TEST(ArtifactCache, ChangingTheParameterOrTheLanguageGivesANewKey) {
  auto sample = MakeSampleStore(SampleSources());
  ASSERT_NE(sample, nullptr);
  sample->request.languages = {"cpp", "java"};
  auto plain = ArtifactKeysFor(sample->request);
  sample->request.parameters["cpp"] = "lite";
  auto with_option = ArtifactKeysFor(sample->request);
  ASSERT_TRUE(plain.ok() && with_option.ok());
  EXPECT_NE(plain->at("cpp").hex, with_option->at("cpp").hex);
  EXPECT_EQ(plain->at("java").hex, with_option->at("java").hex);
  EXPECT_NE(plain->at("cpp").hex, plain->at("java").hex);
}

TEST(ArtifactCache, ADifferentPluginBinaryGivesANewKey) {
  ScratchDir dirs;
  for (const char* variant : {"a", "b"}) {
    std::filesystem::create_directories(dirs.path() / variant);
    auto plugin = dirs.path() / variant / "protoc-gen-go";
    std::ofstream(plugin) << "#!/bin/sh\n# build " << variant << "\n";
    std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);
  }
  const char* old_path = std::getenv("PATH");
  std::string saved = old_path ? old_path : "";
  auto language = FindLanguage("go");
  ASSERT_TRUE(language.ok());
  setenv("PATH", (dirs.path() / "a").c_str(), 1);
  auto a = GeneratorIdentity(*language);
  setenv("PATH", (dirs.path() / "b").c_str(), 1);
  auto b = GeneratorIdentity(*language);
  setenv("PATH", saved.c_str(), 1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  ArtifactKeyInputs inputs{"go", *a, "", {{"x.proto", "0123"}}, {"x.proto"}, ""};
  ArtifactKeyInputs other = inputs;
  other.generator = *b;
  EXPECT_NE(ComputeArtifactKey(inputs).hex, ComputeArtifactKey(other).hex);
}

// The built-in generators' identity is spelled from libprotobuf's version macro without calling
// libprotobuf (so the `spoke` front end can compute keys without loading it); it must be the
// spelling libprotobuf itself gives, or keys would change with the program computing them.
TEST(ArtifactCache, TheBuiltinGeneratorIdentityIsLibprotobufsOwnVersionString) {
  auto language = FindLanguage("cpp");
  ASSERT_TRUE(language.ok());
  auto identity = GeneratorIdentity(*language);
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(*identity,
            "libprotoc " + google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION));
}

// A staged compile writes each file to disk as it is generated and keeps no content in memory:
// the files on disk are the same bytes an in-memory compile returns, and the store holds the same
// artifact.
TEST(ArtifactCache, AStagedCompileWritesTheSameBytesToDiskAndStoresTheSameArtifact) {
  auto in_memory = MakeSampleStore(SampleSources());
  auto staged = MakeSampleStore(SampleSources());
  ASSERT_NE(in_memory, nullptr);
  ASSERT_NE(staged, nullptr);
  in_memory->request.languages = staged->request.languages = {"cpp", "python", "java"};
  ScratchDir stage;
  staged->request.stage_dir = stage.path().string();
  auto expected = CompileWithCache(*in_memory->store, in_memory->request, nullptr);
  auto got = CompileWithCache(*staged->store, staged->request, nullptr);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  for (const char* language : {"cpp", "python", "java"}) {
    SCOPED_TRACE(language);
    const Artifact& want = expected->at(language);
    const Artifact& have = got->at(language);
    EXPECT_TRUE(want.staged_dir.empty());
    EXPECT_EQ(have.staged_dir, (stage.path() / language).string());
    EXPECT_EQ(have.commit, want.commit);
    ASSERT_EQ(have.files.size(), want.files.size());
    for (const auto& [path, content] : want.files) {
      ASSERT_EQ(have.files.count(path), 1u) << path;
      EXPECT_TRUE(have.files.at(path).empty())
          << path << ": a staged artifact kept its content in memory";
      std::ifstream in(stage.path() / language / path, std::ios::binary);
      std::string on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_EQ(on_disk, content) << path;
    }
  }
  // Looked up again, the staged compile's artifact reads back whole from its store.
  auto read_back = LookupArtifact(*staged->store, got->at("cpp").key);
  ASSERT_TRUE(read_back.ok() && read_back->has_value());
  EXPECT_EQ((*read_back)->files, expected->at("cpp").files);
}

// A generator that fails while another language's files are being generated and stored: the
// error is the plugin's, nothing is stored for any language, and the store still compiles.
TEST(ArtifactCache, APluginFailingBesideABuiltInStoresNothing) {
  auto sample = MakeSampleStore(SampleSources());
  ASSERT_NE(sample, nullptr);
  ScratchDir bin;
  auto plugin = bin.path() / "protoc-gen-go";
  std::ofstream(plugin) << "#!/bin/sh\ncat >/dev/null\n"
                           "echo 'protoc-gen-go: unable to determine Go import path' >&2\nexit 1\n";
  std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);
  const char* old_path = std::getenv("PATH");
  std::string saved = old_path ? old_path : "";
  setenv("PATH", (bin.path().string() + ":" + saved).c_str(), 1);
  sample->request.languages = {"go", "cpp", "python"};
  CompileStats stats;
  auto failed = CompileWithCache(*sample->store, sample->request, &stats);
  setenv("PATH", saved.c_str(), 1);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("protoc-gen-go"), std::string::npos)
      << failed.status().ToString();
  auto refs = sample->store->ListRefs("refs/artifacts/");
  ASSERT_TRUE(refs.ok());
  EXPECT_TRUE(refs->empty()) << refs->size() << " artifacts stored by a failed compile";

  sample->request.languages = {"cpp", "python"};
  auto again = CompileWithCache(*sample->store, sample->request, nullptr);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->at("cpp").files.empty());
}

TEST(ArtifactCache, KeyItemsAreDelimitedSoShiftingBytesBetweenThemChangesTheKey) {
  ArtifactKeyInputs a{"cpp", "libprotoc 3.21.12", "ab", {}, {}, ""};
  ArtifactKeyInputs b{"cpp", "libprotoc 3.21.12a", "b", {}, {}, ""};
  EXPECT_NE(ComputeArtifactKey(a).hex, ComputeArtifactKey(b).hex);
  EXPECT_NE(ComputeArtifactKey(a).explanation.find("parameter ab"), std::string::npos);
}

TEST(ArtifactCache, AnEntryWhoseRecordNamesAnotherKeyIsNotServed) {
  auto sample = MakeSampleStore(SampleSources());
  ASSERT_NE(sample, nullptr);
  sample->request.languages = {"cpp", "python"};
  auto artifacts = CompileWithCache(*sample->store, sample->request, nullptr);
  ASSERT_TRUE(artifacts.ok());
  // Point the python key's ref at the cpp artifact: a poisoned entry.
  const Artifact& cpp = artifacts->at("cpp");
  const Artifact& python = artifacts->at("python");
  Status moved = sample->store->UpdateRefs({{ArtifactRef(python.key), python.commit, cpp.commit}});
  ASSERT_TRUE(moved.ok()) << moved.ToString();
  auto looked_up = LookupArtifact(*sample->store, python.key);
  ASSERT_TRUE(looked_up.ok());
  EXPECT_FALSE(looked_up->has_value());
}

}  // namespace
}  // namespace spoke::toolchain
