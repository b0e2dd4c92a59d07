// What the seed tests share. The seed suite runs every command line of the original Spoke's
// document "Spoke for Service Communication" (a copy is spoke-for-service-communication.md, beside
// this file) verbatim against a real spoke-server, and checks what the document says happens.
//
// A command line is written once in a test, as a DocLine: its line number in the document and its
// text exactly as the document has it (trailing "# comment" included). Running it first checks
// the text against the document copy, then splits it into argv with ShellWords (a tiny subset of
// sh: no /bin/sh is involved), so what runs is what a reader of the document would type. Only the
// registry is not in the text: each Host sets SPOKE_REGISTRY to the test's server.
#ifndef SPOKE_TESTS_SEED_SEED_SUPPORT_H_
#define SPOKE_TESTS_SEED_SEED_SUPPORT_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"
#include "spoke/manifest.h"

namespace spoke::seed {

using e2e::CommandResult;

// A command line of the document: `text` is lines line, line+1, ... of it (a heredoc, or a command
// continued with backslashes), the first without its indentation.
struct DocLine {
  int line;
  std::string text;
};

// A textual replacement made after the verbatim check: the few values the document's text cannot
// keep in a test (a fixed port, /var/spoke/storage, a CI expression, the company's registry).
using Substitutions = std::vector<std::pair<std::string, std::string>>;

// The document copy's lines (index 0 is line 1); a test failure and no lines when it cannot be
// read.
const std::vector<std::string>& DocumentLines();

// Records a failure unless `doc` is the document's text at its line number.
void ExpectVerbatim(const DocLine& doc);

// `text` with every `from` replaced by its `to`; a failure when a `from` does not occur.
std::string Substitute(std::string text, const Substitutions& substitutions);

// The words sh would make of `text`: blanks separate words; '...' and "..." quote (in "...", a
// backslash escapes $ ` " \ and newline); a backslash outside quotes escapes the next character,
// and before a newline joins two lines; an unquoted # at the start of a word begins a comment.
// Anything that needs a real shell (an unquoted $ ` * ? [ | & ; < > ( ), or an unterminated
// quote) is an error, so no line is silently run differently than sh would run it.
struct ShellWords {
  std::vector<std::string> words;
  std::string error;  // empty when `words` is sh's reading of the text
};
ShellWords SplitShellWords(const std::string& text);

// One machine of the document's stories (a developer's laptop, a service, a CI runner): a
// directory it works in and its own local store (SPOKE_HOME), talking to one registry.
class Host {
 public:
  Host(std::string dir, std::string home, std::string registry);

  const std::string& dir() const { return dir_; }
  // dir() + "/" + relative (relative may be "" for dir() itself). Nothing is created.
  std::string Path(const std::string& relative) const;
  const e2e::CliUser& user() const { return user_; }
  // The same machine (directory and local store) talking to another registry.
  Host WithRegistry(const std::string& registry) const {
    return Host(dir_, user_.home(), registry);
  }

  // Runs the document's line in dir()/`cwd` (created first), with argv[0] "spoke" and
  // "spoke-server" being the built binaries and anything else looked up in PATH.
  CommandResult Run(const DocLine& doc, const std::string& cwd = "",
                    const Substitutions& substitutions = {}) const;
  // The same through /bin/sh -c, for the lines that need a shell (a heredoc, a glob).
  CommandResult RunInShell(const DocLine& doc, const std::string& cwd = "",
                           const Substitutions& substitutions = {}) const;
  // Starts the document's line in the background (for spoke-server and sprocket).
  std::unique_ptr<e2e::Process> Start(const DocLine& doc, const std::string& cwd = "",
                                      const Substitutions& substitutions = {}) const;

 private:
  e2e::Process::Options Prepare(const DocLine& doc, const std::string& cwd,
                                const Substitutions& substitutions, bool shell) const;

  std::string dir_;
  e2e::CliUser user_;
};

// A spoke-server started from a document line, and the port it reported.
struct DocServer {
  std::unique_ptr<e2e::Process> process;
  int port = 0;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
  // SIGTERM, then a failure unless it exits 0.
  void Stop();
};
// Starts `doc` (a spoke-server line) on `host` and waits for its "serving" line; the test stops
// (ASSERT) when the server exits or stays silent instead.
void StartDocServer(const Host& host, const DocLine& doc, const std::string& cwd,
                    const Substitutions& substitutions, DocServer* server);
// Records a failure unless GET /health/ready answers 200 and names `storage_dir` (compared as
// files, so "./x" and the absolute path are one) as the store it serves.
void ExpectServesHealth(int port, const std::string& storage_dir);

// "document line N: <text>\n" + the result, for failure messages.
std::string Described(const DocLine& doc, const CommandResult& result);

// Every test of the suite: a registry on a free loopback port with its store in a temp dir, a
// publisher that puts the modules a story starts from into it, and hosts.
class SeedTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // A new host working in <temp>/<name>, with its own local store.
  Host NewHost(const std::string& name) const;
  // Pushes `files` as module@version with `spoke push` from a scratch directory (imports of
  // other modules are resolved as push resolves them); the test stops on failure.
  void Publish(const std::string& module, const std::string& version, const FileSet& files);
  // GET `path` on the registry: the body when it answers 200, else a failure and "".
  std::string GetBody(const std::string& path);

  e2e::TempDir work_;
  std::unique_ptr<e2e::ServerProcess> server_;
};

// True when `dir` holds exactly `files` (a failure names each difference otherwise).
void ExpectFilesAre(const std::string& dir, const FileSet& files);

// Runs `protoc -I <include_dir> --descriptor_set_out=... <target>` (a real protoc, when on
// PATH) and records a failure unless it builds: the pulled tree resolves its own imports.
void ExpectProtocBuilds(const std::string& include_dir, const std::string& target);

// The paths under `dir` ending in `suffix`, relative to `dir`.
std::vector<std::string> FilesEndingIn(const std::string& dir, const std::string& suffix);

// The content of the one file under `dir` whose path ends in `suffix` ("" and a failure when
// there is not exactly one), so a test does not depend on where a generator puts it.
std::string OneFileEndingIn(const std::string& dir, const std::string& suffix);

// Generated code used with the real toolchains. Each records a failure when the tool rejects it.
// Python: runs `python -c code` in `dir` (python from PythonWithProtobuf()).
void ExpectPythonRuns(const std::string& python, const std::string& dir, const std::string& code);
// C++: g++ -std=c++17 -fsyntax-only -I dir on `source` (relative to dir), against libprotobuf's
// headers.
void ExpectCppCompiles(const std::string& dir, const std::string& source);
// Go: gofmt -e parses every .go file under `dir`, when gofmt is on PATH.
void ExpectGoParses(const std::string& dir);

// What the document says Sprocket does once `sprocket` (started from a document line) runs
// against `storage`: after `publish` pushes `module_at_version`, it compiles it by itself (says so
// on stdout, and an artifact ref appears in the store), and it stops cleanly on SIGTERM.
void ExpectSprocketCompiles(e2e::Process& sprocket, const std::string& storage,
                            const std::string& module_at_version,
                            const std::function<void()>& publish);

// A python3 whose protobuf module imports ("" when none): Debian's /usr/bin/python3 first, as
// the toolchain tests use it, then python3 on PATH.
std::string PythonWithProtobuf();

// Whether `tool` is an executable on PATH.
bool OnPath(const std::string& tool);

// The path of a built `sprocket` beside spoke-server, or "" when there is none (issue 17).
std::string BuiltSprocket();

}  // namespace spoke::seed

#endif  // SPOKE_TESTS_SEED_SEED_SUPPORT_H_
