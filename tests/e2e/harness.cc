// The end-to-end harness: child processes with captured output, temp dirs, stock-git checks.
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "spoke/json.h"

extern char** environ;

namespace spoke::e2e {
namespace {

namespace fs = std::filesystem;

// A test writing to a socket the server already closed must get EPIPE, not die.
const bool kSigpipeIgnored = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string FindInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return name;
}

std::vector<std::string> ChildEnvironment(const Env& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "SPOKE_", 6) != 0) env.emplace_back(*e);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/spoke-e2e-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << ": " << std::strerror(errno);
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::unique_ptr<Process> Process::Start(const Options& options) {
  if (options.argv.empty()) {
    ADD_FAILURE() << "Process::Start without argv";
    return nullptr;
  }
  // Everything the child needs is prepared before fork(): between fork and exec only
  // async-signal-safe calls are allowed, since the test has other threads.
  std::vector<std::string> argv = options.argv;
  argv[0] = FindInPath(argv[0]);
  std::vector<std::string> envs = ChildEnvironment(options.env);
  std::vector<char*> argv_c = CStrings(argv), env_c = CStrings(envs);
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return nullptr;
  }
  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return nullptr;
  }
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
      _exit(127);
    if (cwd && chdir(cwd) != 0) _exit(127);
    execve(argv_c[0], argv_c.data(), env_c.data());
    static const char kMessage[] = "harness: execve failed\n";
    ssize_t ignored = write(2, kMessage, sizeof(kMessage) - 1);
    (void)ignored;
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  std::unique_ptr<Process> process(new Process());
  process->pid_ = pid;
  process->reader_ = std::thread(&Process::ReadUntilExit, process.get(), out[0], err[0]);
  return process;
}

Process::~Process() {
  Signal(SIGKILL);
  if (reader_.joinable()) reader_.join();
}

void Process::Signal(int signal) {
  // The reader marks the child exited only after reaping it, and it stays a zombie until then, so
  // the pid cannot name another process here.
  std::lock_guard<std::mutex> lock(mutex_);
  if (!exited_ && pid_ > 0) kill(pid_, signal);
}

void Process::ReadUntilExit(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      (i == 0 ? stdout_ : stderr_).append(buf, static_cast<size_t>(got));
      changed_.notify_all();
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  // Wait for the exit without reaping, so the pid stays valid for Signal() until exited_ is set.
  siginfo_t info{};
  while (waitid(P_PID, pid_, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  std::lock_guard<std::mutex> lock(mutex_);
  int status = 0;
  rusage usage{};
  while (wait4(pid_, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  peak_rss_kib_ = usage.ru_maxrss;
  exited_ = true;
  changed_.notify_all();
}

std::optional<std::string> Process::WaitForLine(Stream stream, const std::string& needle,
                                                std::chrono::seconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::string& buffer = stream == Stream::kStdout ? stdout_ : stderr_;
  std::optional<std::string> line;
  auto found = [&] {
    size_t at = buffer.find(needle);
    if (at == std::string::npos) return false;
    size_t end = buffer.find('\n', at);
    if (end == std::string::npos) return false;
    size_t begin = buffer.rfind('\n', at);
    begin = begin == std::string::npos ? 0 : begin + 1;
    line = buffer.substr(begin, end - begin);
    return true;
  };
  changed_.wait_until(lock, std::chrono::steady_clock::now() + timeout,
                      [&] { return found() || exited_; });
  return line;
}

std::optional<int> Process::WaitForExit(std::chrono::seconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!changed_.wait_until(lock, std::chrono::steady_clock::now() + timeout,
                           [&] { return exited_; })) {
    return std::nullopt;
  }
  return exit_code_;
}

std::string Process::Stdout() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stdout_;
}

std::string Process::Stderr() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stderr_;
}

long Process::PeakRssKib() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return exited_ ? peak_rss_kib_ : -1;
}

std::string CommandResult::Describe() const {
  return "exit " + std::to_string(exit_code) + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
}

CommandResult RunCommand(const Process::Options& options, std::chrono::seconds timeout) {
  CommandResult result;
  auto process = Process::Start(options);
  if (!process) return result;
  auto code = process->WaitForExit(timeout);
  if (!code) {
    ADD_FAILURE() << "command " << options.argv[0] << " did not finish within " << timeout.count()
                  << "s; killed";
    process->Signal(SIGKILL);
    process->WaitForExit();
  }
  result.exit_code = code.value_or(-1);
  result.out = process->Stdout();
  result.err = process->Stderr();
  result.peak_rss_kib = process->PeakRssKib();
  return result;
}

CommandResult RunCli(const std::vector<std::string>& args, const Env& env, const std::string& cwd) {
  std::vector<std::string> argv{SPOKE_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand({argv, env, cwd});
}

CommandResult CliUser::Run(const std::vector<std::string>& args, const std::string& cwd) const {
  return RunCli(args, env(), cwd);
}

std::unique_ptr<Process> CliUser::Start(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{SPOKE_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return Process::Start({argv, env(), ""});
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const Options& options) {
  std::vector<std::string> argv{
      SPOKE_SERVER_BIN, "-port",        std::to_string(options.port), "--host",
      "127.0.0.1",      "-storage-dir", options.storage_dir,          "-q"};
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  auto server = std::unique_ptr<ServerProcess>(new ServerProcess());
  server->process_ = Process::Start({argv, options.env, ""});
  if (!server->process_) return nullptr;
  auto line = server->process_->WaitForLine(Process::Stream::kStdout, "spoke-server: serving ");
  // http:// or, with --tls-cert, https://.
  std::string marker = " on http://127.0.0.1:";
  size_t at = line ? line->rfind(marker) : std::string::npos;
  if (at == std::string::npos && line) {
    marker = " on https://127.0.0.1:";
    at = line->rfind(marker);
    server->scheme_ = "https";
  }
  if (at == std::string::npos) {
    ADD_FAILURE() << "spoke-server did not report its port\n--- stdout\n"
                  << server->process_->Stdout() << "\n--- stderr\n"
                  << server->process_->Stderr();
    return nullptr;
  }
  server->port_ = std::atoi(line->c_str() + at + marker.size());
  if (server->port_ <= 0) {
    ADD_FAILURE() << "cannot read the port from: " << *line;
    return nullptr;
  }
  return server;
}

void ServerProcess::Kill() {
  process_->Signal(SIGKILL);
  EXPECT_EQ(process_->WaitForExit(), 128 + SIGKILL) << "spoke-server did not die of SIGKILL";
}

void ServerProcess::Stop() {
  process_->Signal(SIGTERM);
  EXPECT_EQ(process_->WaitForExit(), 0) << "spoke-server did not stop cleanly\n"
                                        << process_->Stderr();
}

std::unique_ptr<httplib::Client> HttpClient(int port) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(kDeadline.count(), 0);
  client->set_write_timeout(kDeadline.count(), 0);
  return client;
}

std::optional<std::string> RawHttpExchange(int port, const std::string& request,
                                           std::chrono::seconds deadline) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ADD_FAILURE() << "socket: " << std::strerror(errno);
    return std::nullopt;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ADD_FAILURE() << "connect to port " << port << ": " << std::strerror(errno);
    ::close(fd);
    return std::nullopt;
  }
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ADD_FAILURE() << "send: " << std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    sent += static_cast<size_t>(n);
  }
  std::string response;
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd readable{fd, POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&readable, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      ADD_FAILURE() << "the server did not finish its answer within " << deadline.count()
                    << " s; so far: " << response.substr(0, 300);
      ::close(fd);
      return std::nullopt;
    }
    char buffer[16384];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    response.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return response;
}

namespace {

std::string CheckJsonErrorBody(const httplib::Response& response, std::string* message) {
  auto body = Json::Parse(response.body);
  if (!body.ok() || !body->is_object() || !body->Get("error") || !body->Get("error")->is_string() ||
      !body->Get("code") || !body->Get("code")->is_string()) {
    ADD_FAILURE() << "HTTP " << response.status << " without a JSON error body: " << response.body;
    return "";
  }
  EXPECT_NE(response.get_header_value("Content-Type").find("application/json"), std::string::npos)
      << "HTTP " << response.status << " error answered as "
      << response.get_header_value("Content-Type");
  if (message) *message = body->GetString("error");
  return body->GetString("code");
}

}  // namespace

std::string ExpectJsonError(const httplib::Result& result, int status, std::string* message) {
  if (!result) {
    ADD_FAILURE() << "no HTTP answer: " << httplib::to_string(result.error());
    return "";
  }
  EXPECT_EQ(result->status, status) << result->body;
  return CheckJsonErrorBody(*result, message);
}

std::string ExpectClientError(const httplib::Result& result, std::string* message) {
  if (!result) {
    ADD_FAILURE() << "no HTTP answer: " << httplib::to_string(result.error());
    return "";
  }
  EXPECT_GE(result->status, 400) << result->body;
  EXPECT_LT(result->status, 500) << result->body;
  return CheckJsonErrorBody(*result, message);
}

CommandResult RunGit(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  // Keep the developer's git configuration out of the checks.
  return RunCommand({argv, {{"GIT_CONFIG_NOSYSTEM", "1"}, {"GIT_CONFIG_GLOBAL", "/dev/null"}}, ""});
}

void GitFsck(const std::string& dir) {
  CommandResult fsck = RunGit({"-C", dir, "fsck", "--strict"});
  EXPECT_EQ(fsck.exit_code, 0) << "git fsck --strict " << dir << "\n" << fsck.Describe();
}

std::string RefsOf(const std::string& dir) {
  CommandResult refs = RunGit({"-C", dir, "for-each-ref", "--format=%(refname) %(objectname)"});
  EXPECT_EQ(refs.exit_code, 0) << "git for-each-ref in " << dir << "\n" << refs.Describe();
  return refs.out;
}

void WriteFiles(const std::string& dir, const FileSet& files) {
  for (const auto& [path, content] : files) {
    fs::path target = fs::path(dir) / path;
    fs::create_directories(target.parent_path());
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    ASSERT_TRUE(out.good()) << "cannot write " << target;
  }
}

FileSet ReadFiles(const std::string& dir) {
  FileSet files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    files.emplace(fs::relative(it->path(), dir).generic_string(), content.str());
  }
  return files;
}

FileSet MakeProtoFiles(const std::string& package, int count, size_t approx_size, uint32_t seed) {
  std::mt19937 rng(seed);
  FileSet files;
  for (int i = 0; i < count; ++i) {
    std::string path = (i % 5 == 0 ? "" : "group" + std::to_string(i % 7) + "/") + "file_" +
                       std::to_string(i) + ".proto";
    std::string content = "syntax = \"proto3\";\n\npackage " + package + ";\n\nmessage Message" +
                          std::to_string(i) + " {\n";
    for (int field = 1; content.size() < approx_size; ++field) {
      char line[96];
      std::snprintf(line, sizeof(line), "  string field_%08x = %d;  // %08x%08x\n",
                    static_cast<unsigned>(rng()), field, static_cast<unsigned>(rng()),
                    static_cast<unsigned>(rng()));
      content += line;
    }
    content += "}\n";
    files.emplace(path, std::move(content));
  }
  return files;
}

Json JsonOut(const CommandResult& result) {
  EXPECT_EQ(result.exit_code, 0) << result.Describe();
  auto json = Json::Parse(result.out);
  if (!json.ok()) {
    ADD_FAILURE() << "stdout is not JSON\n" << result.Describe();
    return Json::MakeObject();
  }
  return std::move(*json);
}

}  // namespace spoke::e2e
