// Filling the registry's indexes and keeping them current (registry_indexes.h).
#include "registry_indexes.h"

#include <cstdio>

namespace spoke {
namespace {

void LogLeftOut(const char* index, const Status& status) {
  std::fprintf(stderr, "spoke-server: %s index: left out %s\n", index, status.message().c_str());
}

}  // namespace

RegistryIndexes::RegistryIndexes(const Store& store)
    : store_(store), watch_(store, kWatchInterval) {}

RegistryIndexes::~RegistryIndexes() {
  stop_filling_ = true;
  if (filler_.joinable()) filler_.join();
}

Result<std::unique_ptr<RegistryIndexes>> RegistryIndexes::Open(const Store& store) {
  std::unique_ptr<RegistryIndexes> indexes(new RegistryIndexes(store));
  // The watch lists first: a version written after this is reported by its next look.
  SPOKE_ASSIGN_OR_RETURN(auto versions, indexes->watch_.Start());
  std::vector<Status> unreadable;
  SPOKE_ASSIGN_OR_RETURN(indexes->imports_, ImportIndex::Build(store, &unreadable));
  for (const auto& s : unreadable) LogLeftOut("import", s);
  RegistryIndexes* self = indexes.get();
  indexes->filler_ = std::thread([self, versions = std::move(versions)] {
    std::vector<Status> left_out;
    self->search_.AddAll(self->store_, versions, &left_out, &self->stop_filling_);
    for (const auto& s : left_out) LogLeftOut("search", s);
    std::lock_guard lock(self->filled_mutex_);
    self->filled_ = true;
    self->filled_changed_.notify_all();
  });
  return indexes;
}

void RegistryIndexes::Published(const VersionInfo& version) {
  imports_->Add(version.manifest);
  std::lock_guard lock(queue_mutex_);
  queued_.push_back(version);
}

void RegistryIndexes::AddToSearch(const VersionInfo& version) {
  if (search_.Knows(version.module, version.version)) return;
  if (Status s = search_.Add(store_, version); !s.ok()) LogLeftOut("search", s);
}

void RegistryIndexes::CatchUp() {
  std::lock_guard catching_up(catch_up_mutex_);
  std::vector<VersionInfo> queued;
  {
    std::lock_guard lock(queue_mutex_);
    queued.swap(queued_);
  }
  for (const auto& version : queued) AddToSearch(version);
  auto fresh = watch_.NewVersions();
  if (!fresh.ok()) {
    std::fprintf(stderr, "spoke-server: cannot look for new versions: %s\n",
                 fresh.status().message().c_str());
    return;
  }
  for (const auto& [module, name] : *fresh) {
    auto version = store_.GetVersion(module, name);
    if (!version.ok()) {
      LogLeftOut("import and search", version.status().WithContext(module + "@" + name));
      continue;
    }
    imports_->Add(version->manifest);
    AddToSearch(*version);
  }
}

bool RegistryIndexes::WaitForSearchIndex(std::chrono::milliseconds timeout) {
  std::unique_lock lock(filled_mutex_);
  return filled_changed_.wait_for(lock, timeout, [this] { return filled_; });
}

}  // namespace spoke
