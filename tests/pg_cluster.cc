// PgCluster: initdb, pg_ctl and PQping for a test's own PostgreSQL (pg_cluster.h says why each
// choice). Programs are run with fork and exec, never through a shell, their output kept in a log
// file in the cluster's directory for the error message.
#include "pg_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace spoke::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::chrono::seconds kStartDeadline{60};

// The last `lines` lines of a log, for an error message.
std::string LogTail(const std::string& path, size_t lines = 15) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += "\n  " + all[i];
  }
  return out.empty() ? " (empty log " + path + ")" : out;
}

bool IsExecutable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

// Where initdb and pg_ctl are (pg_cluster.h); NotFound naming the places tried.
Result<std::string> FindBinDir() {
  if (const char* dir = std::getenv("SPOKE_PG_BINDIR"); dir != nullptr && *dir != '\0') {
    if (IsExecutable(std::string(dir) + "/initdb")) return std::string(dir);
    return Status::NotFound(std::string("SPOKE_PG_BINDIR=") + dir +
                            " holds no initdb: point it at PostgreSQL's bin directory, or unset it "
                            "and let `scripts/dev test` install Debian's postgresql package");
  }
  if (FILE* pipe = popen("pg_config --bindir 2>/dev/null", "r")) {
    char line[4096] = {};
    bool read = std::fgets(line, sizeof line, pipe) != nullptr;
    pclose(pipe);
    std::string dir = read ? std::string(line) : "";
    while (!dir.empty() && (dir.back() == '\n' || dir.back() == ' ')) dir.pop_back();
    if (!dir.empty() && IsExecutable(dir + "/initdb")) return dir;
  }
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (fs::directory_iterator it("/usr/lib/postgresql", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string bin = it->path().string() + "/bin";
    if (IsExecutable(bin + "/initdb"))
      found.emplace_back(std::atoi(it->path().filename().c_str()), bin);
  }
  if (found.empty()) {
    return Status::NotFound(
        "PostgreSQL's server programs (initdb, pg_ctl) are not installed (not in SPOKE_PG_BINDIR, "
        "pg_config --bindir or /usr/lib/postgresql/*/bin): `scripts/dev test` installs Debian's "
        "postgresql package");
  }
  return std::max_element(found.begin(), found.end())->second;
}

// A TCP port on 127.0.0.1 that nothing listened on a moment ago. Another process may take it before
// the server binds it: StartServer then tries another.
Result<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IOError("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  if (port < 0) return Status::IOError("no free loopback port");
  return port;
}

// Runs `argv` (as uid/gid when they are not -1) with stdout and stderr appended to `log`, and
// waits for it to exit within `deadline`. Its exit code, or an error when it could not run or did
// not finish in time (then it is killed).
Result<int> Run(const std::vector<std::string>& argv, int uid, int gid, const std::string& log,
                std::chrono::seconds deadline) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return Status::IOError("cannot open " + log);
  if (uid >= 0 && fchown(out, uid, gid) != 0) {
    close(out);
    return Status::IOError("cannot give " + log + " to uid " + std::to_string(uid));
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(out);
    return Status::IOError("fork");
  }
  if (pid == 0) {
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (uid >= 0 && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) {
      _exit(126);
    }
    if (chdir("/") != 0) _exit(126);  // the test's directory may be closed to that user
    execv(args[0], args.data());
    _exit(127);
  }
  close(out);
  // A pidfd becomes readable when the child exits: a wait with a deadline and no polling.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd exited{pidfd, POLLIN, 0};
    int ready = poll(&exited, 1, static_cast<int>(deadline.count() * 1000));
    close(pidfd);
    if (ready == 0) kill(pid, SIGKILL);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    return Status::IOError(argv[0] + " was killed (signal " + std::to_string(WTERMSIG(status)) +
                           ", after at most " + std::to_string(deadline.count()) +
                           " s):" + LogTail(log));
  }
  return WEXITSTATUS(status);
}

std::string Quote(const std::string& value) { return "'" + value + "'"; }

}  // namespace

Result<std::unique_ptr<PgCluster>> PgCluster::Start() {
  SPOKE_ASSIGN_OR_RETURN(std::string bin_dir, FindBinDir());
  std::unique_ptr<PgCluster> cluster(new PgCluster());
  cluster->bin_dir_ = bin_dir;
  std::string pattern = (fs::temp_directory_path() / "spoke-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return Status::IOError("mkdtemp " + pattern);
  cluster->dir_ = pattern;
  if (geteuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (user == nullptr) user = getpwnam("nobody");
    if (user == nullptr) return Status::NotFound("running as root, and no postgres or nobody user");
    cluster->run_uid_ = static_cast<int>(user->pw_uid);
    cluster->run_gid_ = static_cast<int>(user->pw_gid);
    if (chown(cluster->dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return Status::IOError("cannot give " + cluster->dir_ + " to " + user->pw_name);
    }
    // Its parent ($TMPDIR, usually /tmp) must let that user in; /tmp does.
  }
  SPOKE_RETURN_IF_ERROR(cluster->InitDb());
  SPOKE_RETURN_IF_ERROR(cluster->StartServer());
  return cluster;
}

Status PgCluster::InitDb() {
  std::string log = dir_ + "/initdb.log";
  SPOKE_ASSIGN_OR_RETURN(
      int code, Run({bin_dir_ + "/initdb", "-D", dir_ + "/data", "-U", "spoke", "--auth=trust",
                     "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                    run_uid_, run_gid_, log, kStartDeadline));
  if (code != 0)
    return Status::IOError("initdb exited " + std::to_string(code) + ":" + LogTail(log));
  return Status::Ok();
}

Status PgCluster::StartServer() {
  std::string log = dir_ + "/server.log";
  Status last = Status::Ok();
  // A port found free may be taken before the server binds it; then another is tried.
  for (int attempt = 0; attempt < 3; ++attempt) {
    SPOKE_ASSIGN_OR_RETURN(port_, FreeLoopbackPort());
    // fsync and full page writes off: the cluster is deleted after the test, crash safety buys it
    // nothing and costs the 20 MiB tests seconds.
    std::string options = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                          " -c unix_socket_directories=" + Quote(dir_) +
                          " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" +
                          " -c max_connections=40";
    SPOKE_ASSIGN_OR_RETURN(int code, Run({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-l", log,
                                          "-o", options, "-w", "-t", "60", "start"},
                                         run_uid_, run_gid_, dir_ + "/pg_ctl.log", kStartDeadline));
    if (code == 0) {
      running_ = true;
      break;
    }
    last = Status::IOError("pg_ctl start exited " + std::to_string(code) + ":" + LogTail(log));
  }
  if (!running_) return last;
  // pg_ctl -w saw the server ready; PQping confirms it accepts connections on the URL tests use.
  std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) +
                         " dbname=postgres user=spoke connect_timeout=5";
  auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("PostgreSQL on port " + std::to_string(port_) +
                                 " does not accept connections:" + LogTail(log));
    }
    // The poll interval of the wait, not a synchronisation: the loop ends on the condition.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Ok();
}

std::string PgCluster::Url(const std::string& database) const {
  return "postgresql://spoke@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

Result<std::string> PgCluster::CreateDatabase(const std::string& name) {
  PGconn* conn = PQconnectdb(Url("postgres").c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    std::string statement = "CREATE DATABASE \"" + name + "\"";
    PGresult* result = PQexec(conn, statement.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) error = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(conn);
  if (!error.empty()) return Status::IOError("CREATE DATABASE " + name + ": " + error);
  return Url(name);
}

Status PgCluster::Stop() {
  if (!running_) return Status::Ok();
  running_ = false;
  SPOKE_ASSIGN_OR_RETURN(int code, Run({bin_dir_ + "/pg_ctl", "-D", dir_ + "/data", "-m",
                                        "immediate", "-w", "-t", "60", "stop"},
                                       run_uid_, run_gid_, dir_ + "/pg_ctl.log", kStartDeadline));
  if (code != 0) {
    return Status::IOError("pg_ctl stop exited " + std::to_string(code) + ":" +
                           LogTail(dir_ + "/pg_ctl.log"));
  }
  return Status::Ok();
}

PgCluster::~PgCluster() {
  Status stopped = Stop();
  EXPECT_TRUE(stopped.ok()) << stopped.ToString();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

}  // namespace spoke::testing
