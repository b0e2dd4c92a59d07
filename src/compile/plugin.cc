// Spawning a plugin with pipes, feeding stdin and draining stdout/stderr together with poll() so
// a plugin that writes before it has read everything cannot deadlock us.
#include "compile/plugin.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <tuple>

extern char** environ;

namespace spoke {

Result<std::string> RunPlugin(const std::string& binary, const std::string& input) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    return Status::IOError(std::string("cannot create pipes: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  char* argv[] = {const_cast<char*>(binary.c_str()), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    return Status::IOError("cannot run " + binary + ": " + std::strerror(rc));
  }
  // A plugin that exits early must not kill us with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  std::string out, err;
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    pollfd fds[3];
    int n = 0;
    int out_idx = -1, err_idx = -1, in_idx = -1;
    if (out_open) {
      fds[n] = {out_pipe[0], POLLIN, 0};
      out_idx = n++;
    }
    if (err_open) {
      fds[n] = {err_pipe[0], POLLIN, 0};
      err_idx = n++;
    }
    if (in_fd >= 0) {
      fds[n] = {in_fd, POLLOUT, 0};
      in_idx = n++;
    }
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (in_idx >= 0 && fds[in_idx].revents) {
      ssize_t w = write(in_fd, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 || written == input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    for (auto [idx, fd, sink, open] : {std::tuple{out_idx, out_pipe[0], &out, &out_open},
                                       std::tuple{err_idx, err_pipe[0], &err, &err_open}}) {
      if (idx < 0 || !fds[idx].revents) continue;
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r > 0) {
        sink->append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        *open = false;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status)) {
    return Status::IOError(binary + " failed (killed by a signal)" +
                           (err.empty() ? "" : ": " + err));
  }
  // A plugin that exits non-zero refuses its input and says why on stderr, as protoc-gen-go does
  // for a file it cannot give a Go import path: the request is at fault, not the machine.
  if (WEXITSTATUS(status) != 0) {
    return Status::FailedPrecondition(binary + " failed with exit code " +
                                      std::to_string(WEXITSTATUS(status)) +
                                      (err.empty() ? "" : ": " + err));
  }
  return out;
}

}  // namespace spoke
