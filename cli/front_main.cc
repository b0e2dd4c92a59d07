// spoke: the front end of the command-line client. It serves the one command that must answer in
// a few milliseconds, a `spoke compile -dir` whose artifacts are all in the checkout cache, and
// hands every other command line, unchanged, to spoke-core (execv), which holds the whole client.
//
// Why two programs: starting a program that links libprotoc, libprotobuf and libgit2 costs about
// 5 ms before main() on this class of machine, more than placing a typical module's cached files.
// A build system runs `spoke compile` on every build, and ccache made the same split: the cache
// lookup is a small program, the compiler is run only on a miss. bench/client_startup.sh measures
// the split against one program (bench/README.md has the figures).
//
// The front end never reports an error of its own making: whatever it cannot serve (a miss, an
// unusual flag, --help, a bad value, any failure) goes to spoke-core, which does the command in
// full and says what is wrong. Files it placed before failing are rewritten there.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "compile_common.h"
#include "context.h"
#include "flags.h"
#include "spoke/compiler.h"
#include "spoke/exec_path.h"

namespace spoke::cli {
namespace {

constexpr char kCoreProgram[] = "spoke-core";

// The exit code when `argv` (a compile command line) was served from the checkout cache;
// nullopt when spoke-core must run it.
std::optional<int> TryServeCompileHit(int argc, char** argv) {
  std::vector<const char*> compile_argv{argv[0]};
  for (int i = 2; i < argc; ++i) compile_argv.push_back(argv[i]);
  std::vector<std::string> normalized =
      NormalizeArgs(static_cast<int>(compile_argv.size()), compile_argv.data());
  std::vector<const char*> raw;
  for (const auto& arg : normalized) raw.push_back(arg.c_str());
  CLI::App app;
  CompileArgs args;
  DefineCompileFlags(&app, &args);
  try {
    app.parse(static_cast<int>(raw.size()), raw.data());
  } catch (const CLI::Error&) {
    return std::nullopt;
  }
  if (args.dir.empty() || !args.module.empty() || args.explain_key) return std::nullopt;
  auto languages = ParseLanguageList(args.languages);
  if (!languages.ok()) return std::nullopt;
  auto parameters = ParseOptions(args.options);
  if (!parameters.ok()) return std::nullopt;
  auto checkouts = LocalCheckoutCache();
  if (!checkouts.ok()) return std::nullopt;
  SourceIdCache known = SourceIdsForDir(args.dir);
  auto request = RequestForDir(args, *languages, *parameters, &known);
  if (!request.ok()) return std::nullopt;
  auto served = ServeFromCheckouts(args, *checkouts, *request, "locally");
  if (!served.ok() || !*served) return std::nullopt;
  IgnoreError(known.Save(), "a lost record only makes the next hit read the sources");
  return kExitOk;
}

// Never lets an exception (a thread that cannot start, memory) end the process: spoke-core will do
// the command instead.
std::optional<int> ServeCompileHit(int argc, char** argv) {
  try {
    return TryServeCompileHit(argc, argv);
  } catch (...) {
    return std::nullopt;
  }
}

// glibc's malloc keeps up to this many freed blocks of each small size per thread (tcache) before
// it takes the arena's lock; its default of 7 is far below what libprotoc's generators free and
// allocate again per file. 500 makes a typical module's cold compile about a fifth faster for a few
// hundred kilobytes more at the peak (bench/README.md). A tunable is read once, when a process
// starts, so the front end sets it for spoke-core, unless the user set GLIBC_TUNABLES's own value.
constexpr char kTunable[] = "glibc.malloc.tcache_count";
constexpr char kTunableValue[] = "500";

void TuneMalloc() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  std::string value = tunables ? tunables : "";
  if (value.find(kTunable) != std::string::npos) return;
  if (!value.empty()) value += ':';
  value += std::string(kTunable) + "=" + kTunableValue;
  setenv("GLIBC_TUNABLES", value.c_str(), 1);
}

int RunCore(char** argv) {
  std::string tried;
  std::string core = FindHelper(kCoreProgram, &tried, /*executable=*/true);
  std::error_code ec;
  if (!core.empty() && std::filesystem::equivalent(core, "/proc/self/exe", ec)) {
    std::fprintf(stderr, "spoke: %s is this program itself, not the rest of the client\n",
                 core.c_str());
    return kExitFailure;
  }
  if (!core.empty()) {
    // So that spoke-core can name this program where it writes a path to spoke (git hooks).
    std::error_code self_error;
    std::string self = std::filesystem::read_symlink("/proc/self/exe", self_error).string();
    if (!self_error) setenv(kFrontEndVariable, self.c_str(), 1);
    TuneMalloc();
    execv(core.c_str(), argv);
    std::fprintf(stderr, "spoke: cannot run %s: %s\n", core.c_str(), std::strerror(errno));
    return kExitFailure;
  }
  std::fprintf(stderr,
               "spoke: cannot find %s, the rest of the spoke client (looked at %s); install spoke "
               "with `cmake --install`, which puts it in <prefix>/libexec/spoke/, or set "
               "SPOKE_EXEC_PATH to its directory\n",
               kCoreProgram, tried.c_str());
  return kExitFailure;
}

}  // namespace
}  // namespace spoke::cli

namespace {

int FrontMain(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "compile") == 0) {
    if (auto served = spoke::cli::ServeCompileHit(argc, argv)) return *served;
  }
  return spoke::cli::RunCore(argv);
}

}  // namespace

int main(int argc, char** argv) { return spoke::cli::GuardedMain("spoke", FrontMain, argc, argv); }
