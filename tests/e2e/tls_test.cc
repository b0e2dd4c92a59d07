// HTTPS end to end: a CA and a server certificate for 127.0.0.1 and localhost made here with the
// `openssl` command line, spoke-server --tls-cert/--tls-key, and the CLI verifying the registry's
// certificate with --ca-file or SPOKE_CA_FILE (and refusing it without).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "harness.h"

namespace spoke::e2e {
namespace {

const FileSet kModuleFiles = {
    {"a.proto", "syntax = \"proto3\";\npackage acme.a;\n\nmessage A {\n  string x = 1;\n}\n"}};

void Openssl(const std::vector<std::string>& args, const std::string& cwd) {
  std::vector<std::string> argv{"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult result = RunCommand({argv, {}, cwd});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = work_.Sub("pki");
    std::filesystem::create_directories(dir);
    ASSERT_NO_FATAL_FAILURE(
        Openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
                 "ca.pem", "-days", "2", "-subj", "/CN=Spoke test CA"},
                dir));
    ASSERT_NO_FATAL_FAILURE(Openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout",
                                     "server.key", "-out", "server.csr", "-subj", "/CN=localhost"},
                                    dir));
    WriteFiles(dir, {{"ext.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"}});
    ASSERT_NO_FATAL_FAILURE(
        Openssl({"x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"},
                dir));
    ca_ = dir + "/ca.pem";
    server_ = ServerProcess::Start({work_.Sub("storage"),
                                    {"--tls-cert", dir + "/server.pem", "--tls-key",
                                     dir + "/server.key", "--header-timeout-ms", "3000"},
                                    {}});
    ASSERT_TRUE(server_);
    ASSERT_EQ(server_->url().rfind("https://", 0), 0u) << server_->url();
    WriteFiles(work_.Sub("src"), kModuleFiles);
  }

  CommandResult Cli(const std::string& home, std::vector<std::string> args, Env extra = {}) {
    CliUser user(work_.Sub(home), server_->url());
    Env env = user.env();
    env.insert(env.end(), extra.begin(), extra.end());
    return RunCli(args, env);
  }

  TempDir work_;
  std::string ca_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(Tls, PushAndPullOverHttpsWithCaFileAndWithSpokeCaFile) {
  CommandResult push = Cli("pusher", {"--ca-file", ca_, "push", "-module", "acme/a", "-version",
                                      "v1.0.0", "-dir", work_.Sub("src")});
  ASSERT_EQ(push.exit_code, 0) << push.Describe();
  CommandResult pull =
      Cli("puller", {"pull", "-module", "acme/a", "-version", "v1.0.0", "-dir", work_.Sub("out")},
          {{"SPOKE_CA_FILE", ca_}});
  ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
  EXPECT_EQ(ReadFiles(work_.Sub("out")), kModuleFiles);
}

TEST_F(Tls, WithoutTheCaTheCliRefusesTheCertificateAndSaysWhatToDo) {
  CommandResult push =
      Cli("pusher", {"push", "-module", "acme/a", "-version", "v1.0.0", "-dir", work_.Sub("src")});
  EXPECT_EQ(push.exit_code, 1) << push.Describe();
  EXPECT_NE(push.err.find("certificate verify failed"), std::string::npos) << push.Describe();
  EXPECT_NE(push.err.find("--ca-file"), std::string::npos) << push.Describe();
  CommandResult pull =
      Cli("puller", {"pull", "-module", "acme/a", "-version", "v1.0.0", "-dir", work_.Sub("out")});
  EXPECT_EQ(pull.exit_code, 1) << pull.Describe();
  EXPECT_NE(pull.err.find("certificate verify failed"), std::string::npos) << pull.Describe();
}

TEST_F(Tls, PlainHttpToTheTlsPortIsToldToUseHttpsAndTheServerKeepsServing) {
  auto answer = RawHttpExchange(server_->port(),
                                "GET /modules HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                std::chrono::seconds(10));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->rfind("HTTP/1.1 400", 0), 0u) << *answer;
  EXPECT_NE(answer->find("https://"), std::string::npos) << *answer;

  // A client that connects and hangs up mid-handshake costs nothing either.
  auto dropped = RawHttpExchange(server_->port(), std::string("\x16\x03\x01\x00", 4),
                                 std::chrono::seconds(15));
  (void)dropped;

  CommandResult push = Cli("pusher", {"--ca-file", ca_, "push", "-module", "acme/a", "-version",
                                      "v1.0.0", "-dir", work_.Sub("src")});
  EXPECT_EQ(push.exit_code, 0) << push.Describe();
}

}  // namespace
}  // namespace spoke::e2e
