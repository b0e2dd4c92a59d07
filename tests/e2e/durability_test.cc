// What a registry writes for a push reaches the disk before the push is acknowledged, in an order
// a power loss cannot break: the server runs under `strace -f -y`, which records every open,
// write, fsync, mkdir and rename with the path of each file descriptor, and the log of one push is
// checked: every file that a new ref reaches (the pack and its index, moved into objects/pack) was
// synced before it was renamed into place, and its directory after, all before the first ref
// moved; every ref file likewise (libgit2 links its lock file into place rather than renaming it),
// and every directory the push created, before the response went out. With --no-fsync nothing is
// synced at all.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "pack_forge.h"

namespace spoke::e2e {
namespace {

struct Call {
  std::string name;                 // "fsync", "rename", ...
  std::vector<std::string> quoted;  // the string arguments, in order
  std::string fd_path;              // for fsync: the path strace printed for its descriptor
  std::string line;
};

// The calls of an `strace -f -y -qq` log, in the order they started.
std::vector<Call> ReadCalls(const std::string& log) {
  std::vector<Call> calls;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    // "<pid> <spaces><name>(<arguments>) = <result>"; a line resuming an earlier call is skipped.
    size_t start = line.find_first_not_of(' ', line.find(' '));
    if (start == std::string::npos || line.compare(start, 4, "<...") == 0) continue;
    size_t paren = line.find('(', start);
    if (paren == std::string::npos) continue;
    Call call;
    call.name = line.substr(start, paren - start);
    call.line = line;
    for (size_t at = line.find('"', paren); at != std::string::npos; at = line.find('"', at + 1)) {
      size_t end = line.find('"', at + 1);
      if (end == std::string::npos) break;
      call.quoted.push_back(line.substr(at + 1, end - at - 1));
      at = end;
    }
    if (call.name == "fsync" || call.name == "fdatasync") {
      size_t open = line.find('<', paren), close = line.find('>', open);
      if (open != std::string::npos && close != std::string::npos)
        call.fd_path = line.substr(open + 1, close - open - 1);
    }
    calls.push_back(std::move(call));
  }
  return calls;
}

std::string Parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

// Whether `c` puts a file in place under a new name: a rename, or the link (then unlink) libgit2
// uses instead of rename for its lock files.
bool Renames(const Call& c) {
  return (c.name.rfind("rename", 0) == 0 || c.name == "link" || c.name == "linkat") &&
         c.quoted.size() == 2 && c.line.find(" = 0") != std::string::npos;
}

class Durability : public ::testing::Test {
 protected:
  // Runs spoke-server under strace with `extra` flags, pushes one new version, stops the server,
  // and returns the calls strace saw.
  std::vector<Call> PushUnderStrace(const std::vector<std::string>& extra) {
    const std::string storage = work_.Sub("storage");
    const std::string log = work_.Sub("strace.log");
    std::vector<std::string> argv = {"strace",
                                     "-f",
                                     "-y",
                                     "-qq",
                                     "-s",
                                     "4096",
                                     "-o",
                                     log,
                                     "-e",
                                     "trace=openat,fsync,fdatasync,mkdir,rename,renameat,renameat2,"
                                     "link,linkat,sendto,write,writev",
                                     SPOKE_SERVER_BIN,
                                     "-port",
                                     "0",
                                     "--host",
                                     "127.0.0.1",
                                     "-storage-dir",
                                     storage,
                                     "-q",
                                     "--validate",
                                     "none"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    // LeakSanitizer cannot work under ptrace and fails the process at exit (sanitizer builds).
    auto server = Process::Start({argv, {{"ASAN_OPTIONS", "detect_leaks=0"}}, ""});
    if (!server) return {};
    auto line = server->WaitForLine(Process::Stream::kStdout, "spoke-server: serving ");
    const std::string marker = " on http://127.0.0.1:";
    size_t at = line ? line->rfind(marker) : std::string::npos;
    if (at == std::string::npos) {
      ADD_FAILURE() << "spoke-server under strace did not start\n" << server->Stderr();
      return {};
    }
    auto http = HttpClient(std::atoi(line->c_str() + at + marker.size()));
    PushPayload payload = BuildVersionPack(
        work_.Sub("scratch"), {"durable", "v1.0.0", "", MakeProtoFiles("durable", 3, 300, 9), {}});
    storage_ = storage;
    auto pushed = PostPush(*http, payload.updates, payload.pack);
    EXPECT_TRUE(pushed);
    if (pushed) {
      EXPECT_EQ(pushed->status, 200) << pushed->body;
    }
    // strace's own pid is the child's; the server is the first process its log names.
    pid_t server_pid = 0;
    {
      std::ifstream in(log);
      in >> server_pid;
    }
    EXPECT_GT(server_pid, 0);
    if (server_pid > 0) ::kill(server_pid, SIGTERM);
    EXPECT_EQ(server->WaitForExit(), 0) << server->Stderr();
    return ReadCalls(log);
  }

  // The index of the first call at or after `from` for which `match` holds, or npos.
  template <typename Match>
  static size_t Find(const std::vector<Call>& calls, size_t from, Match match) {
    for (size_t i = from; i < calls.size(); ++i) {
      if (match(calls[i])) return i;
    }
    return std::string::npos;
  }

  TempDir work_;
  std::string storage_;
};

TEST_F(Durability, EverythingANewRefReachesIsSyncedBeforeTheRefAndTheRefBeforeTheAnswer) {
  std::vector<Call> calls = PushUnderStrace({});
  ASSERT_FALSE(calls.empty());
  const size_t answer = Find(calls, 0, [](const Call& c) {
    return (c.name == "sendto" || c.name == "write" || c.name == "writev") && !c.quoted.empty() &&
           c.quoted[0].rfind("HTTP/1.1 200", 0) == 0;
  });
  ASSERT_NE(answer, std::string::npos) << "no 200 answer in the log";
  const std::string objects_pack = storage_ + "/objects/pack/";
  const std::string refs = storage_ + "/refs/";
  auto synced = [&](size_t from, size_t to, const std::string& path) {
    return Find(calls, from, [&](const Call& c) {
             return (c.name == "fsync" || c.name == "fdatasync") && c.fd_path == path;
           }) < to;
  };
  size_t first_ref_rename = std::string::npos, packs = 0, ref_files = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    const Call& c = calls[i];
    if (Renames(c) && c.quoted[1].rfind(refs, 0) == 0) {
      first_ref_rename = std::min(first_ref_rename, i);
    }
  }
  ASSERT_NE(first_ref_rename, std::string::npos) << "no ref was renamed into place";
  for (size_t i = 0; i < calls.size(); ++i) {
    const Call& c = calls[i];
    if (Renames(c)) {
      const std::string& from = c.quoted[0];
      const std::string& to = c.quoted[1];
      if (to.rfind(objects_pack, 0) == 0) {
        ++packs;
        SCOPED_TRACE(to);
        EXPECT_LT(i, first_ref_rename) << "a ref was written before the pack it reaches";
        EXPECT_TRUE(synced(0, i, from)) << "not synced before it was renamed into objects/pack";
        EXPECT_TRUE(synced(i, first_ref_rename, Parent(to)))
            << "objects/pack not synced before the refs";
      } else if (to.rfind(refs, 0) == 0) {
        ++ref_files;
        SCOPED_TRACE(to);
        EXPECT_TRUE(synced(0, i, from)) << "the ref's lock file was not synced before its rename";
        EXPECT_TRUE(synced(i, answer, Parent(to)))
            << "the ref's directory was not synced before the answer";
        EXPECT_LT(i, answer);
      }
    }
    if (c.name == "mkdir" && !c.quoted.empty() && c.quoted[0].rfind(refs, 0) == 0 &&
        c.line.find(" = 0") != std::string::npos) {
      SCOPED_TRACE(c.quoted[0]);
      EXPECT_TRUE(synced(i, answer, Parent(c.quoted[0])))
          << "a new ref directory's parent was not synced";
    }
  }
  EXPECT_EQ(packs, 2u) << "expected the .pack and the .idx to be moved in";
  // The record ref holds the new module's level, the server's --default-compat (WIRE_JSON).
  EXPECT_EQ(ref_files, 3u)
      << "expected the version tag, the module branch and the module's record ref";
  GitFsck(storage_);
}

TEST_F(Durability, NoFsyncSyncsNothing) {
  std::vector<Call> calls = PushUnderStrace({"--no-fsync"});
  ASSERT_FALSE(calls.empty());
  EXPECT_NE(Find(calls, 0, [](const Call& c) { return c.name == "openat"; }), std::string::npos)
      << "the log was not read";
  for (const Call& c : calls) {
    EXPECT_NE(c.name, "fsync") << c.line;
    EXPECT_NE(c.name, "fdatasync") << c.line;
  }
  GitFsck(storage_);
}

}  // namespace
}  // namespace spoke::e2e
