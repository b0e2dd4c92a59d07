// The corpus-scale dependency test: every .proto of the npm package google-proto-files (about 8,000
// files), split into one module per API directory, batch-pushed into a real spoke-server (twice:
// the second run must change nothing), then one leaf module with cross-module imports pulled
// recursively into a fresh directory, where stock protoc must build it with `-I <dir>` alone.
//
// The split: a file's module is its directory up to the first version segment ("v" and a digit:
// v1, v1beta2, v1p1beta1), so google/cloud/speech/v1/cloud_speech.proto is in google/cloud/speech,
// google/api/annotations.proto in google/api, google/logging/type/log_severity.proto in
// google/logging/type. This is how googleapis itself is laid out: the directory holding an API's
// version directories is the API. (One module per second-level directory would not do: google/api
// holds servicecontrol and servicemanagement, which import google/logging and google/longrunning,
// which import google/api: a cycle.) Each module is staged in a directory of its own with a
// spoke.yaml naming it, its files at their import paths.
//
// google/protobuf/ is left out: those are protobuf's own files, which Spoke takes from the compiler
// (imports of them need no module), and the package's copies are newer than Debian's protoc 3.21,
// which cannot parse 17 of them (editions syntax, test protos). Everything else in the pinned
// corpus compiles, so the registry validates every module as it would any push.
//
// The corpus is google-proto-files@5.0.3 (SPOKE_CORPUS_PACKAGE overrides), taken from the cache
// the push/pull bench uses ($SPOKE_BENCH_CACHE, default ~/.cache/spoke-bench) or fetched there with
// `npm pack`. When neither works the test exits with kSkipped, which ctest reports as skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "../e2e/harness.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

namespace fs = std::filesystem;

constexpr int kSkipped = 77;  // ctest's SKIP_RETURN_CODE for this test
constexpr char kDefaultPackage[] = "google-proto-files@5.0.3";
constexpr std::chrono::seconds kLongDeadline{600};

std::string Env(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

// The corpus directory (the package's .proto files at their paths), or "" with `why` set.
std::string FindOrFetchCorpus(std::string* why) {
  std::string spec = Env("SPOKE_CORPUS_PACKAGE", kDefaultPackage);
  size_t at = spec.rfind('@');
  if (at == 0 || at == std::string::npos) {
    *why = "SPOKE_CORPUS_PACKAGE must be name@version, not " + spec;
    return "";
  }
  std::string base = spec.substr(0, at) + "-" + spec.substr(at + 1);
  fs::path cache = Env("SPOKE_BENCH_CACHE", Env("HOME", "/tmp") + "/.cache/spoke-bench");
  fs::path corpus = cache / ("corpus-" + base), tgz = cache / (base + ".tgz");
  std::error_code ec;
  if (fs::is_directory(corpus, ec)) return corpus.string();
  fs::create_directories(cache, ec);
  if (!fs::exists(tgz, ec)) {
    CommandResult packed =
        RunCommand({{"npm", "pack", "--silent", "--fetch-retries=1", "--fetch-timeout=60000", spec},
                    {},
                    cache.string()},
                   std::chrono::seconds(300));
    if (packed.exit_code != 0 || !fs::exists(tgz, ec)) {
      *why = "cannot fetch " + spec + " with npm (offline?): " + packed.Describe();
      return "";
    }
  }
  // Extract next to the cache, then move into place, so an interrupted run leaves no half corpus.
  fs::path scratch = cache / ("corpus-" + base + ".tmp");
  fs::remove_all(scratch, ec);
  fs::create_directories(scratch, ec);
  CommandResult untar =
      RunCommand({{"tar", "-xzf", tgz.string(), "-C", scratch.string()}, {}, ""}, kLongDeadline);
  if (untar.exit_code != 0) {
    *why = "cannot extract " + tgz.string() + ": " + untar.Describe();
    return "";
  }
  fs::path package = scratch / "package";
  for (auto it = fs::recursive_directory_iterator(package);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file() && it->path().extension() != ".proto") fs::remove(it->path());
  }
  fs::rename(package, corpus, ec);
  fs::remove_all(scratch);
  if (ec) {
    *why = "cannot move the corpus into " + corpus.string() + ": " + ec.message();
    return "";
  }
  return corpus.string();
}

// The module of a corpus file (see the top of this file); "" for files left out.
std::string ModuleOf(const std::string& path) {
  if (path.rfind("google/protobuf/", 0) == 0) return "";
  std::string module;
  size_t start = 0;
  for (size_t slash; (slash = path.find('/', start)) != std::string::npos; start = slash + 1) {
    std::string segment = path.substr(start, slash - start);
    if (segment.size() > 1 && segment[0] == 'v' &&
        std::isdigit(static_cast<unsigned char>(segment[1])))
      break;
    module += (module.empty() ? "" : "/") + segment;
  }
  return module;
}

// Stages one directory per module, each with its spoke.yaml and its files (hard links when the
// file system allows). Returns module -> file count.
std::map<std::string, size_t> Stage(const std::string& corpus, const std::string& stage) {
  std::map<std::string, size_t> modules;
  for (auto it = fs::recursive_directory_iterator(corpus); it != fs::recursive_directory_iterator();
       ++it) {
    if (!it->is_regular_file() || it->path().extension() != ".proto") continue;
    std::string path = fs::relative(it->path(), corpus).generic_string();
    std::string module = ModuleOf(path);
    if (module.empty()) continue;
    std::string dir_name = module;
    std::replace(dir_name.begin(), dir_name.end(), '/', '+');
    fs::path target = fs::path(stage) / dir_name / path;
    fs::create_directories(target.parent_path());
    std::error_code ec;
    fs::create_hard_link(it->path(), target, ec);
    if (ec) fs::copy_file(it->path(), target);
    if (modules[module]++ == 0)
      WriteFiles(stage + "/" + dir_name, {{"spoke.yaml", "module: " + module + "\n"}});
  }
  return modules;
}

TEST(Corpus, BatchPushedApiModulesPullRecursivelyIntoATreeProtocBuilds) {
  std::string why;
  std::string corpus = FindOrFetchCorpus(&why);
  if (corpus.empty()) GTEST_SKIP() << why;
  TempDir work;
  std::map<std::string, size_t> staged = Stage(corpus, work.Sub("stage"));
  ASSERT_GT(staged.size(), 100u);

  auto server = ServerProcess::Start({work.Sub("storage"), {"-q"}, {}});
  ASSERT_TRUE(server);
  CliUser publisher(work.Sub("publisher-home"), server->url());
  CommandResult pushed = RunCommand({{SPOKE_BIN, "batch-push", "-dir", work.Sub("stage"),
                                      "-recursive", "-version", "v1.0.0", "--json"},
                                     publisher.env(),
                                     ""},
                                    kLongDeadline);
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  auto report = Json::Parse(pushed.out);
  ASSERT_TRUE(report.ok()) << pushed.out.substr(0, 2000);
  const Json* list = report->Get("modules");
  ASSERT_TRUE(list && list->is_array());
  ASSERT_EQ(list->as_array().size(), staged.size());

  // Every module was created, and after every module it needs; the leaf is the module nobody
  // needs with the most modules in its closure.
  std::map<std::string, std::vector<std::string>> needs;
  std::set<std::string> needed, pushed_before;
  for (const Json& entry : list->as_array()) {
    std::string module = entry.GetString("module");
    EXPECT_EQ(entry.GetString("status"), "created") << module << ": " << entry.GetString("error");
    EXPECT_EQ(entry.Get("files")->as_int(), static_cast<int64_t>(staged[module])) << module;
    for (const Json& dep : entry.Get("needs")->as_array()) {
      EXPECT_TRUE(pushed_before.count(dep.as_string()))
          << module << " was pushed before " << dep.as_string();
      needs[module].push_back(dep.as_string());
      needed.insert(dep.as_string());
    }
    pushed_before.insert(module);
  }
  // Pushing the same tree again is a no-op for every module.
  std::string refs = RefsOf(work.Sub("storage"));
  CommandResult again = RunCommand(
      {{SPOKE_BIN, "batch-push", "-dir", work.Sub("stage"), "-recursive", "-version", "v1.0.0"},
       publisher.env(),
       ""},
      kLongDeadline);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 pushed, " + std::to_string(staged.size()) + " unchanged, 0 failed"),
            std::string::npos)
      << again.out.substr(again.out.size() - std::min<size_t>(again.out.size(), 500));
  EXPECT_EQ(RefsOf(work.Sub("storage")), refs);

  std::function<void(const std::string&, std::set<std::string>*)> closure =
      [&](const std::string& m, std::set<std::string>* out) {
        for (const auto& dep : needs[m]) {
          if (out->insert(dep).second) closure(dep, out);
        }
      };
  std::string leaf;
  size_t leaf_closure = 0;
  for (const auto& [module, count] : staged) {
    std::set<std::string> reached;
    closure(module, &reached);
    if (!needed.count(module) && reached.size() > leaf_closure) {
      leaf = module;
      leaf_closure = reached.size();
    }
  }
  ASSERT_GE(leaf_closure, 2u) << "no leaf module with cross-module imports";
  std::printf("corpus: %zu modules pushed; pulling %s (%zu modules in its closure)\n",
              staged.size(), leaf.c_str(), leaf_closure);

  CliUser reader(work.Sub("reader-home"), server->url());
  std::string out = work.Sub("pulled");
  CommandResult pulled = RunCommand(
      {{SPOKE_BIN, "pull", "-module", leaf, "-version", "v1.0.0", "-recursive", "-dir", out},
       reader.env(),
       ""},
      kLongDeadline);
  ASSERT_EQ(pulled.exit_code, 0) << pulled.Describe();
  ASSERT_TRUE(fs::exists(out + "/spoke.lock"));

  // Stock protoc, the pulled directory as its only include path, every file of the leaf.
  std::vector<std::string> protoc = {"protoc", "-I", out, "--cpp_out=" + work.Sub("gen")};
  fs::create_directories(work.Sub("gen"));
  for (auto it = fs::recursive_directory_iterator(out); it != fs::recursive_directory_iterator();
       ++it) {
    std::string path = fs::relative(it->path(), out).generic_string();
    if (it->is_regular_file() && it->path().extension() == ".proto" && ModuleOf(path) == leaf) {
      protoc.push_back(path);
    }
  }
  ASSERT_EQ(protoc.size() - 4, staged[leaf]);
  CommandResult built = RunCommand({protoc, {}, out}, kLongDeadline);
  EXPECT_EQ(built.exit_code, 0) << built.Describe();
}

}  // namespace
}  // namespace spoke::e2e

// Like gtest_main, but a run whose tests were all skipped (no corpus) exits kSkipped, so ctest
// reports it as skipped instead of passed.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int result = RUN_ALL_TESTS();
  const auto* unit = ::testing::UnitTest::GetInstance();
  if (result == 0 && unit->skipped_test_count() > 0 && unit->successful_test_count() == 0) {
    return spoke::e2e::kSkipped;
  }
  return result;
}
