// The artifact states a registry lists for a version (Sprocket::StatesOf), derived from what the
// compilers leave in the store rather than kept as a second record that could disagree: the
// artifact cache's refs (ready), Sprocket's failures.json (failed) and its lock (which languages
// are being compiled at all).
#include "spoke/compiler.h"
#include "spoke/refs.h"
#include "spoke/sprocket.h"
#include "sprocket/failure_log.h"
#include "sprocket/sprocket_backend.h"
#include "sprocket/sprocket_lock.h"

namespace spoke {
namespace {

// Whether the cache holds the artifact of `key`.
Result<bool> Cached(Store& store, const std::string& key) {
  SPOKE_ASSIGN_OR_RETURN(std::string stored, store.ResolveRef(ArtifactRef(key)));
  return !stored.empty();
}

}  // namespace

Result<std::vector<ArtifactState>> Sprocket::StatesOf(Store& store, const VersionInfo& version) {
  const std::string dir = store.path() + "/sprocket";
  SPOKE_ASSIGN_OR_RETURN(SprocketHolder holder, SprocketLockHolder(dir));
  std::vector<ArtifactState> states;
  if (holder.kind.empty()) {
    // No compiler configured: what the cache holds (downloads compiled it) is all there is to say.
    for (const Language& language : Languages()) {
      if (!GeneratorIdentity(language).ok()) continue;
      auto key = DownloadArtifactKey(store, version, language.name);
      if (!key.ok()) continue;
      SPOKE_ASSIGN_OR_RETURN(bool cached, Cached(store, *key));
      if (!cached) continue;
      ArtifactState state;
      state.language = language.name;
      state.status = "ready";
      states.push_back(std::move(state));
    }
    return states;
  }
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<FailureLog> failures,
                         FailureLog::Load(dir + "/failures.json"));
  for (const std::string& language : holder.languages) {
    ArtifactState state;
    state.language = language;
    state.status = "pending";
    auto key = DownloadArtifactKey(store, version, language);
    if (key.ok()) {
      SPOKE_ASSIGN_OR_RETURN(bool cached, Cached(store, *key));
      if (cached) state.status = "ready";
    }
    const FailureLog::Failure* failure = failures->Find(version.module, version.version, language);
    // A failure of another key (a plugin replaced since) is being retried: pending.
    if (state.status == "pending" && failure && (!key.ok() || failure->key == *key)) {
      state.status = "failed";
      state.message = failure->message;
      state.attempts = failure->attempts;
      state.last_attempt = failure->last_failed;
      state.next_attempt = failure->next_attempt;
    }
    states.push_back(std::move(state));
  }
  return states;
}

}  // namespace spoke
