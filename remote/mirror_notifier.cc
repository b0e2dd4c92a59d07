// Sending change notices to mirrors (mirror_notifier.h).
#include "mirror_notifier.h"

#include <cstdio>

#include "spoke/remote.h"

namespace spoke {
namespace {

// A notice is a hint, not a transfer: a mirror that does not answer quickly is left to its
// interval rather than holding up the notices of the others.
RemoteOptions NoticeOptions(const std::string& mirror, const std::string& ca_file) {
  RemoteOptions options;
  options.url = mirror;
  options.ca_file = ca_file;
  options.connect_timeout_seconds = 2;
  options.io_timeout_seconds = 5;
  return options;
}

}  // namespace

MirrorNotifier::MirrorNotifier(std::vector<std::string> mirrors, std::string ca_file)
    : mirrors_(std::move(mirrors)), ca_file_(std::move(ca_file)) {}

MirrorNotifier::~MirrorNotifier() { Stop(); }

Status MirrorNotifier::Start() {
  for (const auto& mirror : mirrors_) {
    auto client = RemoteClient::Create(NoticeOptions(mirror, ca_file_));
    if (!client.ok()) return client.status().WithContext("--notify " + mirror);
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void MirrorNotifier::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MirrorNotifier::Changed() {
  {
    std::lock_guard lock(mutex_);
    changed_ = true;
  }
  wake_.notify_all();
}

void MirrorNotifier::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || changed_; });
    if (stopping_) return;
    changed_ = false;
    lock.unlock();
    for (const auto& mirror : mirrors_) {
      auto client = RemoteClient::Create(NoticeOptions(mirror, ca_file_));
      Status sent = client.ok() ? (*client)->NotifyMirror() : client.status();
      if (!sent.ok()) {
        std::fprintf(stderr, "spoke-server: cannot notify mirror %s: %s\n", mirror.c_str(),
                     sent.message().c_str());
      }
    }
    lock.lock();
  }
}

}  // namespace spoke
