// A real PostgreSQL server for one test, in a temporary directory: the unit tests of the store's
// PostgreSQL code and the end-to-end tests of servers sharing a database both start one.
//
// PgCluster::Start() runs Debian's initdb into a fresh directory under $TMPDIR (trust
// authentication, superuser `spoke`, no fsync: a test's data dies with it), starts the server with
// pg_ctl listening on a free loopback port and on a unix socket in that directory, and waits until
// it accepts connections (PQping, with a deadline). Destroying it stops the server (immediate
// shutdown) and removes the directory, also when the test failed.
//
// Root: initdb and the server refuse to run as root, so when the test runs as root the directory
// is given to the `postgres` user (which Debian's package creates; `nobody` without it) and the
// programs run as that user, switched to in the child before exec. Everything else runs as the
// test's own user, over the socket or TCP, as any client would.
//
// The programs are found in $SPOKE_PG_BINDIR, else `pg_config --bindir`, else the newest
// /usr/lib/postgresql/<version>/bin (Debian keeps them off PATH). Without them Start() answers
// NotFound and SPOKE_START_PG_OR_SKIP skips the test, saying `scripts/dev test` installs them.
#ifndef SPOKE_TESTS_PG_CLUSTER_H_
#define SPOKE_TESTS_PG_CLUSTER_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "spoke/status.h"

namespace spoke::testing {

class PgCluster {
 public:
  // A running server with its `postgres` database. NotFound when PostgreSQL's server programs are
  // not installed; any other error (initdb or the start failed) with the log's last lines.
  static Result<std::unique_ptr<PgCluster>> Start();
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // The URL of `database` over loopback TCP as the superuser ("postgresql://spoke@127.0.0.1:P/d").
  std::string Url(const std::string& database) const;
  // Creates an empty database and answers its URL.
  Result<std::string> CreateDatabase(const std::string& name);
  // Stops the server now (immediate shutdown); the directory stays until destruction. For tests
  // of what clients see when the server goes away.
  Status Stop();

  int port() const { return port_; }
  const std::string& directory() const { return dir_; }

 private:
  PgCluster() = default;
  Status InitDb();
  Status StartServer();

  std::string bin_dir_;
  std::string dir_;
  int port_ = 0;
  bool running_ = false;
  // The user the programs run as when the test runs as root (else -1: the test's own).
  int run_uid_ = -1;
  int run_gid_ = -1;
};

}  // namespace spoke::testing

// Declares `var` (a std::unique_ptr<PgCluster>) with a started server; skips the test when
// PostgreSQL is not installed and fails it when the server does not start.
#define SPOKE_START_PG_OR_SKIP(var)                                                       \
  std::unique_ptr<::spoke::testing::PgCluster> var;                                       \
  {                                                                                       \
    auto started_ = ::spoke::testing::PgCluster::Start();                                 \
    if (!started_.ok() && started_.status().code() == ::spoke::Status::Code::kNotFound) { \
      GTEST_SKIP() << started_.status().message();                                        \
    }                                                                                     \
    ASSERT_TRUE(started_.ok()) << started_.status().ToString();                           \
    var = std::move(started_).value();                                                    \
  }

#endif  // SPOKE_TESTS_PG_CLUSTER_H_
