// `spoke-server migrate`: imports a store on files into a PostgreSQL database
// (spoke/sys/postgres_import.h), so servers on --postgres serve what it held.
#ifndef SPOKE_CLI_SERVER_MIGRATE_H_
#define SPOKE_CLI_SERVER_MIGRATE_H_

namespace spoke::cli {

// Runs `spoke-server migrate ...`; argv[0] is "migrate". Returns the exit code (0 ok, 1 failure,
// a conflict included, 2 usage).
int MigrateMain(int argc, char** argv);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_SERVER_MIGRATE_H_
