// Local store location, registry selection, progress output and failure reporting for the CLI.
#include "context.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "compile_common.h"

namespace spoke::cli {

Result<std::unique_ptr<Store>> OpenLocalStore() {
  return Store::Open(LocalStorePath(), /*create=*/true);
}

std::string RegistryUrl(const GlobalFlags& flags) {
  if (!flags.registry.empty()) return flags.registry;
  if (const char* env = std::getenv("SPOKE_REGISTRY"); env && *env) return env;
  return kDefaultRegistry;
}

namespace {

std::string HumanBytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1u << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  } else if (bytes >= 1024) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", static_cast<double>(bytes) / 1024);
  } else {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

// Redraws one status line at most ten times a second, and always at the end of a transfer.
TransferProgress MakeProgressPrinter() {
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [last](const char* phase, uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    bool finished = total > 0 && done >= total;
    if (!finished && now - *last < std::chrono::milliseconds(100)) return;
    *last = now;
    if (total > 0) {
      std::fprintf(stderr, "\r%s: %3d%% (%s / %s)", phase, static_cast<int>(done * 100 / total),
                   HumanBytes(done).c_str(), HumanBytes(total).c_str());
    } else {
      std::fprintf(stderr, "\r%s: %s", phase, HumanBytes(done).c_str());
    }
    if (finished) std::fprintf(stderr, ", done.\n");
    std::fflush(stderr);
  };
}

}  // namespace

Result<std::unique_ptr<RemoteClient>> ConnectRegistry(const GlobalFlags& flags) {
  RemoteOptions options;
  options.url = RegistryUrl(flags);
  if (const char* token = std::getenv("SPOKE_TOKEN"); token && *token) options.token = token;
  options.ca_file = flags.ca_file;
  if (const char* ca = std::getenv("SPOKE_CA_FILE"); options.ca_file.empty() && ca && *ca)
    options.ca_file = ca;
  if (const char* max = std::getenv("SPOKE_MAX_FETCH"); max && *max) {
    auto parsed = ParseSize(max);
    if (!parsed.ok()) return parsed.status().WithContext("SPOKE_MAX_FETCH");
    options.max_pack_bytes = *parsed == 0 ? UINT64_MAX : *parsed;  // 0: no bound, as for the cache
  }
  if (!flags.quiet && (flags.progress || isatty(STDERR_FILENO)))
    options.progress = MakeProgressPrinter();
  return RemoteClient::Create(options);
}

bool RegistryUnreachable(const Status& status) {
  return status.code() == Status::Code::kUnavailable;
}

void WarnUsingLocalStore(const Status& status, const std::string& instead) {
  std::fprintf(stderr, "spoke: %s\nspoke: %s\n", status.message().c_str(), instead.c_str());
}

}  // namespace spoke::cli
