// spoke hooks: install Spoke's git pre-commit hook (hooks/pre-commit, carried inside this binary)
// into a repository, or print it.
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "context.h"
#include "pre_commit_hook.inc"
#include "spoke/files.h"

namespace spoke::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kHookMarker[] = "spoke-pre-commit-hook";
constexpr char kDefaultSpokeLine[] = ": \"${SPOKE:=spoke}\"";

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Where git keeps the repository's hooks (honours core.hooksPath), as an absolute path.
Result<fs::path> HooksDir(const std::string& repo) {
  std::string command =
      "git -C " + ShellQuote(repo) + " rev-parse --path-format=absolute --git-path hooks 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return Status::IOError("cannot run git");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (status != 0) return Status::InvalidArgument(repo + " is not in a git repository: " + out);
  return fs::path(out);
}

// The running binary, so the hook calls this spoke whatever PATH the commit runs with.
// The `spoke` a user runs: the front end that started this spoke-core when there is one.
std::string SelfPath() {
  if (const char* front = std::getenv(kFrontEndVariable); front && *front) return front;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "" : self.string();
}

// The hook's text with SPOKE defaulting to `spoke_binary` (kept as "spoke" when the path has
// characters that would need escaping inside double quotes).
std::string HookText(const std::string& spoke_binary) {
  std::string text = kPreCommitHook;
  if (spoke_binary.empty() || spoke_binary.find_first_of("\"$`\\\n") != std::string::npos)
    return text;
  size_t at = text.find(kDefaultSpokeLine);
  if (at != std::string::npos) {
    text.replace(at, sizeof(kDefaultSpokeLine) - 1, ": \"${SPOKE:=" + spoke_binary + "}\"");
  }
  return text;
}

CommandOutcome Install(const std::string& repo, bool force, const GlobalFlags& flags) {
  auto hooks = HooksDir(repo);
  if (!hooks.ok()) return Usage(hooks.status());
  fs::path target = *hooks / "pre-commit";
  std::error_code ec;
  if (fs::exists(target, ec) && !force) {
    auto existing = ReadFileToString(target.string());
    if (!existing.ok()) return existing.status();
    if (existing->find(kHookMarker) == std::string::npos) {
      return Status::AlreadyExists(
          target.string() + " exists and is not Spoke's hook; keep it, or replace it with --force");
    }
  }
  fs::create_directories(*hooks, ec);
  if (Status s = WriteFileAtomically(target.string(), HookText(SelfPath())); !s.ok()) return s;
  if (chmod(target.c_str(), 0755) != 0)
    return Status::IOError("cannot make " + target.string() + " executable");
  if (!flags.quiet) std::printf("Installed Spoke's pre-commit hook in %s\n", target.c_str());
  return Status::Ok();
}

}  // namespace

void SetupHooks(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  struct Args {
    std::string repo = ".";
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  sub->require_subcommand(1);
  CLI::App* install = sub->add_subcommand("install",
                                          "Install the pre-commit hook: staged .proto files are "
                                          "validated and linted before each commit");
  install->add_option("--repo", args->repo, "A directory inside the git repository")
      ->capture_default_str();
  install->add_flag("--force", args->force, "Replace a pre-commit hook that is not Spoke's");
  install->footer(
      "Skip the hook once with `git commit --no-verify`; SPOKE_HOOK_LINT=0 validates without "
      "linting.");
  CLI::App* print = sub->add_subcommand(
      "print", "Print the hook script (for the pre-commit framework or a review)");
  *run = [args, flags, install, print]() -> CommandOutcome {
    if (install->parsed()) return Install(args->repo, args->force, *flags);
    if (print->parsed()) {
      std::fputs(kPreCommitHook, stdout);
      return Status::Ok();
    }
    return Usage(Status::InvalidArgument("give a subcommand: install or print"));
  };
}

}  // namespace spoke::cli
