// Shared fixtures of the unit tests: scratch directories, running stock git, and building version
// requests. Real stores in real directories, no mocks.
#ifndef SPOKE_TESTS_UNIT_TEST_SUPPORT_H_
#define SPOKE_TESTS_UNIT_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke::testing {

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "spoke-unit-XXXXXX").string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) std::abort();
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` through the shell and captures what it prints.
// The bytes of the file at `path`; a test failure and "" when it cannot be read.
inline std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Stock git, with no user or system configuration, on the repository at `dir`.
inline CommandResult Git(const std::string& dir, const std::string& args) {
  return RunCommand("GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -C " + ShellQuote(dir) +
                    " " + args);
}

// Stock `git fsck --strict` on a store: a gtest assertion result with git's output on failure.
inline ::testing::AssertionResult GitFsckStrict(const std::string& dir) {
  CommandResult r = Git(dir, "fsck --strict --no-progress");
  if (r.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "git fsck --strict on " << dir << " exited " << r.exit_code << ":\n"
         << r.output;
}

inline std::string Sha256HexOf(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

inline NewVersion MakeRequest(const std::string& module, const std::string& version, FileSet files,
                              const std::string& description = "") {
  NewVersion request;
  request.module = module;
  request.version = version;
  request.description = description;
  request.files = std::move(files);
  return request;
}

// A file set with one file whose content names `tag`, so different tags give different content.
inline FileSet OneFile(const std::string& tag) {
  return {{"api.proto", "syntax = \"proto3\";\n// " + tag + "\nmessage M {}\n"}};
}

inline bool IsObjectId(const std::string& s) {
  if (s.size() != 40) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Every ref of a store; a store's refs are its published state, so "unchanged" compares these.
inline std::vector<RefEntry> AllRefs(const Store& store) {
  auto refs = store.ListRefs("");
  EXPECT_TRUE(refs.ok()) << refs.status().ToString();
  return refs.ok() ? *refs : std::vector<RefEntry>{};
}

}  // namespace spoke::testing

namespace spoke {
// gtest prints these in failure messages.
inline bool operator==(const RefEntry& a, const RefEntry& b) {
  return a.name == b.name && a.target == b.target && a.peeled == b.peeled;
}
inline std::ostream& operator<<(std::ostream& os, const RefEntry& r) {
  return os << r.name << " -> " << r.target << (r.peeled.empty() ? "" : " ^" + r.peeled);
}
inline std::ostream& operator<<(std::ostream& os, const Status& s) { return os << s.ToString(); }
}  // namespace spoke

namespace spoke::testing {
// The Status of a Status or of a Result, for the macros below.
inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}
}  // namespace spoke::testing

// Asserts that a Status or Result is ok, printing the status when it is not.
#define SPOKE_ASSERT_OK(expr)                                                        \
  do {                                                                               \
    const auto& spoke_ok_ = (expr);                                                  \
    ASSERT_TRUE(spoke_ok_.ok()) << ::spoke::testing::StatusOf(spoke_ok_).ToString(); \
  } while (0)
#define SPOKE_EXPECT_OK(expr)                                                        \
  do {                                                                               \
    const auto& spoke_ok_ = (expr);                                                  \
    EXPECT_TRUE(spoke_ok_.ok()) << ::spoke::testing::StatusOf(spoke_ok_).ToString(); \
  } while (0)

#endif  // SPOKE_TESTS_UNIT_TEST_SUPPORT_H_
