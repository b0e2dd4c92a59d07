// spoke-server: the registry. Flags in the original Spoke's spelling (-port, -storage-dir) and the
// double-dash one; SIGINT/SIGTERM stop it cleanly.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <unistd.h>

#include "duration.h"
#include "exit_code.h"
#include "program_args.h"
#include "server_migrate.h"
#include "server_tokens.h"
#include "spoke/policy.h"
#include "spoke/server.h"
#include "spoke/sprocket.h"
#include "spoke/sprocket_queue.h"
#include "spoke/store.h"
#include "spoke/sys/postgres_backend.h"
#include "spoke/sys/postgres_compactor.h"
#include "spoke/sys/postgres_tokens.h"
#include "spoke_version.h"

namespace {

spoke::Server* g_server = nullptr;

void HandleStopSignal(int) {
  if (g_server) g_server->Stop();
}

// The in-server Sprocket's compiles on stdout, its failures on stderr, as sprocket prints them.
void PrintCompileEvent(const spoke::SprocketEvent& event) {
  const std::string what = event.module + "@" + event.version + " " + event.language;
  if (event.kind == spoke::SprocketEvent::Kind::kCompiled) {
    std::printf("spoke-server: compiled %s (%zu file%s, %lld ms)\n", what.c_str(), event.files,
                event.files == 1 ? "" : "s", static_cast<long long>(event.took.count()));
    std::fflush(stdout);
  } else if (event.kind == spoke::SprocketEvent::Kind::kFailed) {
    std::fprintf(stderr, "spoke-server: cannot compile %s (attempt %d): %s\n", what.c_str(),
                 event.attempts, event.message.c_str());
  }
}

// Prints a failure as "spoke-server: <message>" and returns the exit code (cli/exit_code.h).
int Exit(const spoke::cli::CommandOutcome& outcome) {
  return spoke::cli::ExitWith(outcome, "spoke-server");
}

// Sets the mirror's interval and token in `options` from their flags and SPOKE_MIRROR_TOKEN.
spoke::Status ApplyMirrorFlags(const std::string& sync_interval, const std::string& token_file,
                               spoke::ServerOptions& options) {
  auto interval = spoke::cli::ParseDuration(sync_interval);
  if (!interval.ok()) return interval.status().WithContext("--sync-interval");
  if (interval->count() < 1000) {
    return spoke::Status::InvalidArgument("--sync-interval must be at least 1s (got " +
                                          sync_interval +
                                          "); --notify makes a mirror sync at once");
  }
  options.sync_interval_ms = static_cast<int>(std::min<int64_t>(interval->count(), INT_MAX));
  if (const char* token = std::getenv("SPOKE_MIRROR_TOKEN"); token && *token)
    options.mirror_token = token;
  if (const char* ca = std::getenv("SPOKE_CA_FILE"); options.ca_file.empty() && ca && *ca)
    options.ca_file = ca;
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    std::string token;
    if (!in || !std::getline(in, token))
      return spoke::Status::InvalidArgument("cannot read a token from " + token_file);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) return spoke::Status::InvalidArgument(token_file + " holds an empty token");
    options.mirror_token = token;
  }
  // Without a primary the token would go nowhere: say so rather than ignore the flag.
  if (options.mirror_of.empty() && !token_file.empty())
    return spoke::Status::InvalidArgument("--mirror-token-file needs --mirror-of");
  return spoke::Status::Ok();
}

// Runs pack compaction on the shared store's job queue beside the server (docs/storage.md, "Pack
// compaction"), printing each compaction on stdout and each failure on stderr.
spoke::Status AddPackCompactor(spoke::Server& server, const std::string& url,
                               const std::string& storage_dir, int64_t threshold,
                               const std::string& interval) {
  auto every = spoke::cli::ParseDuration(interval);
  if (!every.ok()) return every.status().WithContext("--compact-interval");
  spoke::PostgresCompactorOptions options;
  options.pack_threshold = threshold;
  options.interval = *every;
  char host[256] = "";
  gethostname(host, sizeof(host) - 1);
  options.owner = std::string(host) + ":" + std::to_string(getpid());
  auto opened = spoke::PostgresCompactor::Open(url, storage_dir + "/compaction", options);
  if (!opened.ok()) return opened.status().WithContext("pack compaction");
  std::shared_ptr<spoke::PostgresCompactor> compactor = std::move(*opened);
  server.AddWorker(
      [compactor] {
        compactor->Run([](const spoke::Result<spoke::PackCompaction>& ran) {
          if (!ran.ok()) {
            std::fprintf(stderr, "spoke-server: pack compaction failed: %s\n",
                         ran.status().ToString().c_str());
            return;
          }
          std::printf(
              "spoke-server: compacted %lld packs into pack %s (%lld objects, %lld bytes)\n",
              static_cast<long long>(ran->packs_replaced), ran->pack_name.c_str(),
              static_cast<long long>(ran->objects), static_cast<long long>(ran->pack_bytes));
          std::fflush(stdout);
        });
      },
      [compactor] { compactor->Stop(); });
  return spoke::Status::Ok();
}

int ServerMain(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "token") return spoke::cli::TokenMain(argc - 1, argv + 1);
  if (argc > 1 && std::string(argv[1]) == "migrate") {
    return spoke::cli::MigrateMain(argc - 1, argv + 1);
  }
  CLI::App app{"spoke-server: a Protobuf schema registry"};
  spoke::ServerOptions options;
  if (const char* token = std::getenv("SPOKE_TOKEN"); token && *token) options.token = token;
  size_t max_body_mib = options.max_body_bytes >> 20;
  bool quiet = false;
  app.add_option("-p,--port", options.port, "Port to listen on (0: any free port)")
      ->capture_default_str();
  app.add_option("--host", options.host, "Address to listen on")->capture_default_str();
  app.add_option(
         "--health-port", options.health_port,
         "Also serve the health checks, and only them, on this port of --host (the original "
         "Spoke used 9090; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  app.set_version_flag("--version", spoke::kVersionLine);
  app.add_option("-s,--storage-dir", options.storage_dir,
                 "The store: a bare git repository, created if absent")
      ->capture_default_str();
  std::string postgres_url;
  if (const char* url = std::getenv("SPOKE_POSTGRES"); url && *url) postgres_url = url;
  app.add_option(
      "--postgres", postgres_url,
      "Serve the store shared in this PostgreSQL database (libpq URL; default $SPOKE_POSTGRES) "
      "with other spoke-servers. -storage-dir then holds only this server's files: its lock, "
      "received bodies and the packs' local cache (pack-cache/, disposable). Tokens are kept in "
      "the database (spoke-server token create --postgres URL). Not with it: --mirror-of. "
      "--compile-languages compiles through the database's job queue, each version once across "
      "the servers; search may lag other servers' pushes by a second (docs/storage.md, "
      "\"Serving from PostgreSQL\")");
  int postgres_connections = spoke::kDefaultPostgresConnections;
  app.add_option("--postgres-connections", postgres_connections,
                 "With --postgres: the most connections this server opens to the database at "
                 "once; requests beyond it wait for one (up to 30 s)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  int64_t compact_packs = 32;
  std::string compact_interval = "30s";
  app.add_option("--compact-packs", compact_packs,
                 "With --postgres: merge the small packs (under 64 MiB) into one when the database "
                 "holds more than this many, as a job any server may claim (0: this server never "
                 "compacts)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--compact-interval", compact_interval,
                 "With --postgres: how often to look at the pack count and the compaction queue")
      ->capture_default_str();
  app.add_option("--max-body-mib", max_body_mib, "Largest request body accepted, in MiB")
      ->capture_default_str();
  std::string token_flag, token_file;
  app.add_option(
      "--token", token_flag,
      "Bearer token required for writes (visible to other users in ps: prefer $SPOKE_TOKEN or "
      "--token-file)");
  app.add_option("--token-file", token_file,
                 "Read the bearer token required for writes from this file");
  app.add_flag("--allow-anonymous-writes", options.allow_anonymous_writes,
               "Serve a non-loopback --host without a token (anyone who reaches it may push)");
  app.add_flag("--read-only", options.read_only, "Serve as a read-only mirror: refuse every write");
  app.add_option("--max-connections-per-client", options.max_connections_per_client,
                 "Connections one client address may hold open")
      ->capture_default_str();
  app.add_option("--header-timeout-ms", options.header_timeout_ms,
                 "Time a request's head may take to arrive, from its first byte")
      ->capture_default_str();
  app.add_flag("-q,--quiet", quiet, "No access log");
  std::string default_compat = "WIRE_JSON";
  app.add_option("--default-compat", default_compat,
                 "Compatibility level of a module created without one: FILE, PACKAGE, WIRE_JSON, "
                 "WIRE or NONE")
      ->capture_default_str();
  bool no_fsync = false;
  app.add_flag(
      "--no-fsync", no_fsync,
      "Do not sync writes to disk before answering: a power loss can lose acknowledged pushes. "
      "For tests and benches only");
  std::string validate = "compile";
  app.add_option(
         "--validate", validate,
         "What a pushed version must pass: compile (against the dependencies it pins) or none")
      ->check(CLI::IsMember({"compile", "none"}))
      ->capture_default_str();
  // Sprocket inside the server (spoke/sprocket.h).
  std::string compile_languages, compile_delay = "2s";
  app.add_option("--compile-languages", compile_languages,
                 "Compile every pushed version for these languages (cpp,python,... or all: every "
                 "installed one) in the background, as a sprocket on this store would");
  app.add_option("--compile-delay", compile_delay,
                 "With --compile-languages: how long after the last push of a burst to compile")
      ->capture_default_str();
  std::string compile_lease = "30s";
  app.add_option("--compile-lease", compile_lease,
                 "With --postgres and --compile-languages: how long a compile job stays claimed "
                 "by this server without a renewal (renewed every third of it while compiling); "
                 "a server that died gives its job up after this")
      ->capture_default_str();
  // Scoped tokens (`spoke-server token --help`) and TLS.
  app.add_flag("--read-auth", options.read_auth,
               "Every read but /health/* needs a token with the read scope");
  app.add_option("--tls-cert", options.tls_cert_file,
                 "Serve HTTPS with this certificate (PEM, with its chain)");
  app.add_option("--tls-key", options.tls_key_file, "The private key of --tls-cert (PEM)");
  // Mirrors that follow (docs/api.md#mirrors).
  std::string sync_interval_text = "30s", mirror_token_file;
  app.add_option("--mirror-of", options.mirror_of,
                 "Serve as a read-only mirror of the registry at this URL, kept in sync with it");
  app.add_option("--sync-interval", sync_interval_text,
                 "With --mirror-of: how often to sync when not notified (10s, 5m, ...)")
      ->capture_default_str();
  app.add_option("--mirror-token-file", mirror_token_file,
                 "With --mirror-of: read the token sent to the primary from this file (or set "
                 "SPOKE_MIRROR_TOKEN)");
  app.add_option("--ca-file", options.ca_file,
                 "A private CA's certificates (PEM) to verify an https --mirror-of or --notify URL "
                 "(default $SPOKE_CA_FILE, else the system's CAs)");
  app.add_option("--notify", options.notify,
                 "After each published version, tell the mirror at this URL to sync at once "
                 "(repeatable)");
  app.footer(
      "Tokens: spoke-server token create|list|revoke (see spoke-server token --help).\n"
      "Import a store into PostgreSQL: spoke-server migrate (see spoke-server migrate --help).\n"
      "Flags may be spelled -flag or --flag. Exit codes: 0 ok, 1 failure, 2 usage error.");
  if (auto exit_code = spoke::cli::ParseProgramArgs(app, argc, argv)) return *exit_code;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return Exit(spoke::cli::Usage(
        spoke::Status::InvalidArgument("--tls-cert and --tls-key go together: give both")));
  }
  if (!token_flag.empty()) {
    std::fprintf(stderr,
                 "spoke-server: warning: --token is visible to every user of this machine (ps); "
                 "prefer SPOKE_TOKEN or --token-file\n");
    options.token = token_flag;
  }
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    std::string token;
    if (!in || !std::getline(in, token)) {
      return Exit(spoke::cli::Usage(
          spoke::Status::InvalidArgument("cannot read a token from " + token_file)));
    }
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) {
      return Exit(
          spoke::cli::Usage(spoke::Status::InvalidArgument(token_file + " holds an empty token")));
    }
    options.token = token;
  }
  if (auto mirror = ApplyMirrorFlags(sync_interval_text, mirror_token_file, options); !mirror.ok())
    return Exit(spoke::cli::Usage(mirror));
  options.max_body_bytes = max_body_mib << 20;
  options.access_log = !quiet;
  auto compat = spoke::ParseCompatibility(default_compat);
  if (!compat.ok()) return Exit(spoke::cli::Usage(compat.status()));
  options.default_compatibility = *compat;
  options.validate_compile = validate == "compile";
  if (!postgres_url.empty()) {
    // It needs the store's files; refused before anything is opened (docs/storage.md).
    if (!options.mirror_of.empty()) {
      return Exit(spoke::cli::Usage(spoke::Status::InvalidArgument(
          "--mirror-of writes into the store's files: a server on --postgres cannot be a mirror")));
    }
    options.open_shared_backend = [postgres_url,
                                   postgres_connections](const std::string& cache_dir) {
      return spoke::OpenPostgresBackend(postgres_url, cache_dir, postgres_connections);
    };
    options.open_shared_tokens = [postgres_url] { return spoke::OpenPostgresTokens(postgres_url); };
  }
  spoke::SprocketOptions compiling;
  if (!compile_languages.empty()) {
    if (options.read_only) {
      return Exit(spoke::cli::Usage(spoke::Status::InvalidArgument(
          "--compile-languages writes artifacts into the store: a --read-only mirror does not "
          "compile")));
    }
    auto languages = spoke::LanguagesFromFlag(compile_languages);
    if (!languages.ok())
      return Exit(spoke::cli::Usage(languages.status().WithContext("--compile-languages")));
    auto delay = spoke::cli::ParseDuration(compile_delay);
    if (!delay.ok()) return Exit(spoke::cli::Usage(delay.status().WithContext("--compile-delay")));
    compiling.languages = *languages;
    compiling.delay = *delay;
    compiling.holder = "spoke-server";
  }
  auto lease = spoke::cli::ParseDuration(compile_lease);
  if (!lease.ok()) return Exit(spoke::cli::Usage(lease.status().WithContext("--compile-lease")));

  if (no_fsync) spoke::SetSyncWrites(false);
  auto server = spoke::Server::Create(options);
  if (!server.ok()) return Exit(server.status());
  // Test hook: SPOKE_TEST_HOLD_AT=<stage> stops the process at that point of receiving a push, so
  // a crash test can kill it there (see tests/e2e/crash_test.cc).
  if (const char* hold = std::getenv("SPOKE_TEST_HOLD_AT"); hold && *hold) {
    std::string stage = hold;
    (*server)->store().SetStageHook([stage](const std::string& reached) {
      if (reached != stage) return;
      std::fprintf(stderr, "spoke-server: holding at %s\n", reached.c_str());
      std::fflush(stderr);
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    });
  }
  spoke::Store& store = (*server)->store();
  // On files, Sprocket's states are files beside the store; on PostgreSQL, the job queue's rows
  // (a server that does not compile lists none).
  if (postgres_url.empty()) {
    (*server)->SetArtifactStateSource([&store](const spoke::VersionInfo& version) {
      return spoke::Sprocket::StatesOf(store, version);
    });
  }
  std::unique_ptr<spoke::Sprocket> sprocket;
  std::unique_ptr<spoke::SprocketQueue> queue;
  if (!compiling.languages.empty() && !postgres_url.empty()) {
    spoke::Server* registry = server->get();
    compiling.on_compile = [registry](const std::string& language, double seconds, bool succeeded) {
      registry->ObserveCompile(language, seconds, succeeded);
    };
    auto opened =
        spoke::SprocketQueue::Open(store, postgres_url, compiling, *lease, PrintCompileEvent);
    if (!opened.ok()) return Exit(opened.status().WithContext("--compile-languages"));
    queue = std::move(*opened);
    spoke::SprocketQueue* worker = queue.get();
    if (const char* hold = std::getenv("SPOKE_TEST_HOLD_AT"); hold && *hold) {
      std::string stage = hold;
      worker->SetStageHook([stage](const std::string& reached) {
        if (reached != stage) return;
        std::fprintf(stderr, "spoke-server: holding at %s\n", reached.c_str());
        std::fflush(stderr);
        for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
      });
    }
    registry->SetArtifactStateSource(
        [worker](const spoke::VersionInfo& version) { return worker->StatesOf(version); });
    registry->AddMetricGauge("spoke_sprocket_queue_depth",
                             "Compile jobs of this server's languages not done yet, on every "
                             "server (the database's job queue)",
                             [worker] { return static_cast<double>(worker->QueueDepth()); });
    registry->AddWorker(
        [worker] {
          spoke::Status ran = worker->Run([](const spoke::SprocketPass& pass) {
            std::printf("spoke-server: compile jobs done: %d compiled, %d failed, %d cached\n",
                        pass.compiled, pass.failed, pass.cached);
            std::fflush(stdout);
          });
          if (!ran.ok()) {
            std::fprintf(stderr, "spoke-server: sprocket stopped: %s\n", ran.message().c_str());
          }
        },
        [worker] { worker->Stop(); });
  } else if (!compiling.languages.empty()) {
    spoke::Server* registry = server->get();
    compiling.on_compile = [registry](const std::string& language, double seconds, bool succeeded) {
      registry->ObserveCompile(language, seconds, succeeded);
    };
    auto opened = spoke::Sprocket::Open(store, compiling, PrintCompileEvent);
    if (!opened.ok()) return Exit(opened.status().WithContext("--compile-languages"));
    sprocket = std::move(*opened);
    spoke::Sprocket* worker = sprocket.get();
    registry->AddMetricGauge("spoke_sprocket_queue_depth",
                             "Versions and languages the in-server Sprocket has yet to compile",
                             [worker] { return static_cast<double>(worker->QueueDepth()); });
    (*server)->AddWorker(
        [worker] {
          spoke::Status ran = worker->Run([](const spoke::SprocketPass& pass) {
            std::printf(
                "spoke-server: compile pass done: %d compiled, %d failed, %d cached, %d waiting "
                "to retry\n",
                pass.compiled, pass.failed, pass.cached, pass.deferred);
            std::fflush(stdout);
          });
          if (!ran.ok()) {
            std::fprintf(stderr, "spoke-server: sprocket stopped: %s\n", ran.message().c_str());
          }
        },
        [worker] { worker->Stop(); });
  }
  if (!postgres_url.empty() && compact_packs > 0) {
    spoke::Status compacting = AddPackCompactor(**server, postgres_url, options.storage_dir,
                                                compact_packs, compact_interval);
    if (!compacting.ok()) return Exit(compacting);
  }
  auto port = (*server)->Bind();
  if (!port.ok()) {
    // A refused combination of flags is a usage error.
    if (port.status().code() == spoke::Status::Code::kFailedPrecondition)
      return Exit(spoke::cli::Usage(port.status()));
    return Exit(port.status());
  }
  // Before the first line that says the server is up: whoever reads it may stop us at once (a stop
  // before Serve() makes Serve() return without serving).
  g_server = server->get();
  std::signal(SIGINT, HandleStopSignal);
  std::signal(SIGTERM, HandleStopSignal);
  // A client that hangs up mid-answer must cost its connection, never the server (OpenSSL writes
  // without MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  std::string host = options.host == "0.0.0.0" || options.host == "::" ? "localhost" : options.host;
  const char* scheme = options.tls_cert_file.empty() ? "http" : "https";
  if (int health_port = (*server)->health_port(); health_port >= 0) {
    std::printf("spoke-server: health checks on %s://%s:%d/health/live and /health/ready\n", scheme,
                host.c_str(), health_port);
  }
  // The URL as given could hold a password: only where the shared store is, not how to log in.
  const std::string serving = postgres_url.empty() ? (*server)->store().path()
                                                   : "the PostgreSQL store (cache in " +
                                                         options.storage_dir + "/pack-cache)";
  std::printf("spoke-server: serving %s on %s://%s:%d\n", serving.c_str(), scheme, host.c_str(),
              *port);
  std::printf(
      "spoke-server: open %s://%s:%d/ in a browser; point the CLI at it with "
      "SPOKE_REGISTRY=%s://%s:%d\n",
      scheme, host.c_str(), *port, scheme, host.c_str(), *port);
  if (sprocket || queue) {
    std::string languages;
    for (const auto& language : compiling.languages)
      languages += (languages.empty() ? "" : ",") + language;
    std::printf("spoke-server: compiling %s for every pushed version, %lld ms after a push\n",
                languages.c_str(), static_cast<long long>(compiling.delay.count()));
  }
  if (queue) {
    std::printf("spoke-server: compile jobs from the database's queue, claimed as %s\n",
                queue->owner().c_str());
  }
  if (!options.mirror_of.empty()) {
    std::printf("spoke-server: read-only mirror of %s, synced every %ds and when notified\n",
                options.mirror_of.c_str(), options.sync_interval_ms / 1000);
  }
  std::fflush(stdout);
  spoke::Status served = (*server)->Serve();
  g_server = nullptr;
  return Exit(served);
}

}  // namespace

int main(int argc, char** argv) {
  return spoke::cli::GuardedMain("spoke-server", ServerMain, argc, argv);
}
