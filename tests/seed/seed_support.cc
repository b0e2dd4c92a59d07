// The seed suite's shared pieces: the document copy, the shell-word splitter, hosts running the
// document's lines, and the registry fixture.
#include "seed_support.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "e2e_util.h"
#include "spoke/json.h"

namespace spoke::seed {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> ReadDocument() {
  std::ifstream in(SEED_DOCUMENT);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string WithoutIndentation(const std::string& line) {
  size_t first = line.find_first_not_of(" \t");
  return first == std::string::npos ? "" : line.substr(first);
}

// The built binary for a document program name; other names are left to PATH.
std::string Program(const std::string& name) {
  if (name == "spoke") return SPOKE_BIN;
  if (name == "spoke-server") return SPOKE_SERVER_BIN;
  if (name == "sprocket" && !BuiltSprocket().empty()) return BuiltSprocket();
  return name;
}

}  // namespace

const std::vector<std::string>& DocumentLines() {
  static const std::vector<std::string> lines = ReadDocument();
  if (lines.empty()) ADD_FAILURE() << "cannot read the document copy " << SEED_DOCUMENT;
  return lines;
}

void ExpectVerbatim(const DocLine& doc) {
  const auto& lines = DocumentLines();
  std::istringstream text(doc.text);
  std::string line;
  for (int number = doc.line; std::getline(text, line); ++number) {
    if (number < 1 || number > static_cast<int>(lines.size())) {
      ADD_FAILURE() << "document line " << number << " does not exist (" << doc.text << ")";
      return;
    }
    const std::string& original = lines[number - 1];
    EXPECT_EQ(line, number == doc.line ? WithoutIndentation(original) : original)
        << "the test's text is not the document's line " << number;
  }
}

std::string Substitute(std::string text, const Substitutions& substitutions) {
  for (const auto& [from, to] : substitutions) {
    size_t at = text.find(from);
    if (at == std::string::npos) ADD_FAILURE() << "\"" << from << "\" is not in: " << text;
    for (; at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  return text;
}

ShellWords SplitShellWords(const std::string& text) {
  ShellWords result;
  std::string word;
  bool in_word = false;
  auto fail = [&result](const std::string& why) {
    result.words.clear();
    result.error = why;
    return result;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) result.words.push_back(word);
      word.clear();
      in_word = false;
    } else if (c == '#' && !in_word) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '\\') {
      if (i + 1 == text.size()) return fail("a backslash ends the text");
      if (text[++i] == '\n') continue;  // a continued line: the two lines join
      word += text[i];
      in_word = true;
    } else if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == std::string::npos) return fail("unterminated '");
      word += text.substr(i + 1, end - i - 1);
      i = end;
      in_word = true;
    } else if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size() &&
            std::string("$`\"\\\n").find(text[i + 1]) != std::string::npos) {
          if (text[++i] == '\n') continue;
        } else if (text[i] == '$' || text[i] == '`') {
          return fail(std::string("a ") + text[i] + " inside \"...\" needs a shell");
        }
        word += text[i];
      }
      if (i == text.size()) return fail("unterminated \"");
      in_word = true;
    } else if (std::string("$`*?[|&;<>()").find(c) != std::string::npos) {
      return fail(std::string("an unquoted ") + c + " needs a shell");
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) result.words.push_back(word);
  return result;
}

Host::Host(std::string dir, std::string home, std::string registry)
    : dir_(std::move(dir)), user_(std::move(home), std::move(registry)) {
  fs::create_directories(dir_);
}

std::string Host::Path(const std::string& relative) const {
  return relative.empty() ? dir_ : dir_ + "/" + relative;
}

e2e::Process::Options Host::Prepare(const DocLine& doc, const std::string& cwd,
                                    const Substitutions& substitutions, bool shell) const {
  ExpectVerbatim(doc);
  const std::string text = Substitute(doc.text, substitutions);
  e2e::Process::Options options;
  options.env = user_.env();
  options.cwd = Path(cwd);
  std::error_code ec;
  fs::create_directories(options.cwd, ec);
  if (shell) {
    options.argv = {"/bin/sh", "-c", text};
    return options;
  }
  ShellWords split = SplitShellWords(text);
  if (!split.error.empty() || split.words.empty()) {
    ADD_FAILURE() << "document line " << doc.line << " cannot be split: " << split.error;
    options.argv = {"/bin/false"};
    return options;
  }
  options.argv = split.words;
  options.argv[0] = Program(options.argv[0]);
  return options;
}

CommandResult Host::Run(const DocLine& doc, const std::string& cwd,
                        const Substitutions& substitutions) const {
  return e2e::RunCommand(Prepare(doc, cwd, substitutions, false));
}

CommandResult Host::RunInShell(const DocLine& doc, const std::string& cwd,
                               const Substitutions& substitutions) const {
  return e2e::RunCommand(Prepare(doc, cwd, substitutions, true));
}

std::unique_ptr<e2e::Process> Host::Start(const DocLine& doc, const std::string& cwd,
                                          const Substitutions& substitutions) const {
  return e2e::Process::Start(Prepare(doc, cwd, substitutions, false));
}

std::string Described(const DocLine& doc, const CommandResult& result) {
  return "document line " + std::to_string(doc.line) + ": " + doc.text + "\n" + result.Describe();
}

void DocServer::Stop() {
  if (!process) return;
  process->Signal(SIGTERM);
  EXPECT_EQ(process->WaitForExit(), 0) << "spoke-server did not stop cleanly\n"
                                       << process->Stderr();
}

void StartDocServer(const Host& host, const DocLine& doc, const std::string& cwd,
                    const Substitutions& substitutions, DocServer* server) {
  server->process = host.Start(doc, cwd, substitutions);
  ASSERT_TRUE(server->process) << "document line " << doc.line;
  auto line = server->process->WaitForLine(e2e::Process::Stream::kStdout, "spoke-server: serving ");
  const std::string marker = " on http://127.0.0.1:";
  const size_t at = line ? line->rfind(marker) : std::string::npos;
  ASSERT_NE(at, std::string::npos)
      << "document line " << doc.line << ": " << doc.text << "\nno \"serving\" line\n--- stdout\n"
      << server->process->Stdout() << "\n--- stderr\n"
      << server->process->Stderr();
  server->port = std::atoi(line->c_str() + at + marker.size());
  ASSERT_GT(server->port, 0) << *line;
}

void ExpectServesHealth(int port, const std::string& storage_dir) {
  auto http = e2e::HttpClient(port);
  auto live = http->Get("/health/live");
  ASSERT_TRUE(live) << httplib::to_string(live.error());
  EXPECT_EQ(live->status, 200) << live->body;
  auto ready = http->Get("/health/ready");
  ASSERT_TRUE(ready) << httplib::to_string(ready.error());
  ASSERT_EQ(ready->status, 200) << ready->body;
  Json health = e2e::ParseJson(ready->body);
  EXPECT_EQ(health.GetString("status"), "ok") << ready->body;
  std::error_code ec;
  EXPECT_TRUE(fs::equivalent(health.GetString("storage"), storage_dir, ec))
      << ready->body << " does not name " << storage_dir;
}

void SeedTest::SetUp() {
  server_ = e2e::ServerProcess::Start({work_.Sub("registry-storage"), {}, {}});
  ASSERT_TRUE(server_);
}

Host SeedTest::NewHost(const std::string& name) const {
  return Host(work_.Sub(name), work_.Sub(name + ".spoke-home"), server_->url());
}

void SeedTest::Publish(const std::string& module, const std::string& version,
                       const FileSet& files) {
  std::string name = module + "@" + version;
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  const std::string dir = work_.Sub("publisher/" + name);
  e2e::WriteFiles(dir, files);
  e2e::CliUser publisher(work_.Sub("publisher.spoke-home"), server_->url());
  CommandResult push = publisher.Run({"push", "-module", module, "-version", version, "-dir", dir});
  ASSERT_EQ(push.exit_code, 0) << "publishing " << module << "@" << version << "\n"
                               << push.Describe();
}

std::string SeedTest::GetBody(const std::string& path) {
  auto answer = e2e::HttpClient(server_->port())->Get(path.c_str());
  if (!answer) {
    ADD_FAILURE() << "GET " << path << ": " << httplib::to_string(answer.error());
    return "";
  }
  EXPECT_EQ(answer->status, 200) << "GET " << path << "\n" << answer->body;
  return answer->status == 200 ? answer->body : "";
}

void ExpectFilesAre(const std::string& dir, const FileSet& files) {
  const FileSet actual = e2e::ReadFiles(dir);
  for (const auto& [path, content] : files) {
    auto it = actual.find(path);
    if (it == actual.end()) {
      ADD_FAILURE() << dir << ": missing " << path;
    } else {
      EXPECT_EQ(it->second, content) << dir << "/" << path;
    }
  }
  for (const auto& [path, content] : actual) {
    if (!files.count(path)) ADD_FAILURE() << dir << ": unexpected " << path;
  }
}

void ExpectProtocBuilds(const std::string& include_dir, const std::string& target) {
  if (!OnPath("protoc")) {
    ADD_FAILURE() << "protoc is not on PATH (install protobuf-compiler)";
    return;
  }
  CommandResult protoc = e2e::RunCommand(
      {{"protoc", "-I", include_dir, "--descriptor_set_out=/dev/null", target}, {}, include_dir});
  EXPECT_EQ(protoc.exit_code, 0) << "protoc -I " << include_dir << " " << target << "\n"
                                 << protoc.Describe();
}

std::vector<std::string> FilesEndingIn(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> found;
  for (const auto& [path, content] : e2e::ReadFiles(dir)) {
    if (path.size() >= suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
      found.push_back(path);
  }
  return found;
}

std::string OneFileEndingIn(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> found = FilesEndingIn(dir, suffix);
  if (found.size() != 1) {
    std::string listing;
    for (const auto& [path, content] : e2e::ReadFiles(dir)) listing += "\n  " + path;
    ADD_FAILURE() << "expected one file ending in " << suffix << " under " << dir
                  << "; it holds:" << listing;
    return "";
  }
  return e2e::ReadFiles(dir).at(found[0]);
}

void ExpectPythonRuns(const std::string& python, const std::string& dir, const std::string& code) {
  CommandResult run = e2e::RunCommand({{python, "-c", code}, {}, dir});
  EXPECT_EQ(run.exit_code, 0) << "in " << dir << ": " << python << " -c \"" << code << "\"\n"
                              << run.Describe();
}

void ExpectCppCompiles(const std::string& dir, const std::string& source) {
  CommandResult gxx = e2e::RunCommand(
      {{"g++", "-std=c++17", "-fsyntax-only", "-I", dir, dir + "/" + source}, {}, dir});
  EXPECT_EQ(gxx.exit_code, 0) << "g++ -fsyntax-only " << source << "\n" << gxx.Describe();
}

void ExpectGoParses(const std::string& dir) {
  if (!OnPath("gofmt")) return;
  for (const std::string& file : FilesEndingIn(dir, ".go")) {
    CommandResult gofmt = e2e::RunCommand({{"gofmt", "-e", "-l", dir + "/" + file}, {}, dir});
    EXPECT_EQ(gofmt.exit_code, 0) << "gofmt -e " << file << "\n" << gofmt.Describe();
  }
}

void ExpectSprocketCompiles(e2e::Process& sprocket, const std::string& storage,
                            const std::string& module_at_version,
                            const std::function<void()>& publish) {
  publish();
  EXPECT_TRUE(sprocket.WaitForLine(e2e::Process::Stream::kStdout, module_at_version))
      << "sprocket did not report compiling " << module_at_version << "\n--- stdout\n"
      << sprocket.Stdout() << "\n--- stderr\n"
      << sprocket.Stderr();
  const std::string refs = e2e::RefsOf(storage);
  EXPECT_NE(refs.find("refs/artifacts/"), std::string::npos) << "no artifact in the store:\n"
                                                             << refs;
  sprocket.Signal(SIGTERM);
  EXPECT_EQ(sprocket.WaitForExit(), 0) << sprocket.Stderr();
}

std::string PythonWithProtobuf() {
  for (std::string python : {"/usr/bin/python3", "python3"}) {
    if (python[0] == '/' && access(python.c_str(), X_OK) != 0) continue;
    CommandResult probe = e2e::RunCommand({{python, "-c", "import google.protobuf"}, {}, ""});
    if (probe.exit_code == 0) return python;
  }
  return "";
}

bool OnPath(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (access(((dir.empty() ? "." : dir) + "/" + tool).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string BuiltSprocket() {
  const std::string sprocket = (fs::path(SPOKE_SERVER_BIN).parent_path() / "sprocket").string();
  return access(sprocket.c_str(), X_OK) == 0 ? sprocket : "";
}

}  // namespace spoke::seed
