// MirrorNotifier: a primary's side of push notification (spoke-server --notify URL). After each
// change the registry publishes, every mirror named is sent POST /sync/v1/notify, so it syncs at
// once instead of at its next interval.
//
// Changed() only raises a flag: the notices are sent from a thread of their own, so a push never
// waits for a mirror. Changes that come while notices are being sent are coalesced into one more
// round. A mirror that cannot be reached is logged and otherwise ignored: it catches up at its
// interval.
#ifndef SPOKE_REMOTE_MIRROR_NOTIFIER_H_
#define SPOKE_REMOTE_MIRROR_NOTIFIER_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "spoke/status.h"

namespace spoke {

class MirrorNotifier {
 public:
  // `ca_file`: a private CA (PEM) for https mirrors; empty: the system's CAs.
  MirrorNotifier(std::vector<std::string> mirrors, std::string ca_file);
  // Stops the thread (Stop).
  ~MirrorNotifier();

  // Starts the sending thread. InvalidArgument naming a URL the client cannot use.
  // REQUIRES: called once.
  Status Start();
  // Sends nothing more; waits for a round in flight (bounded by short timeouts). Safe to repeat.
  void Stop();

  // The registry changed. Thread-safe, never blocks: safe from the store's publish listener.
  void Changed();

  MirrorNotifier(const MirrorNotifier&) = delete;
  MirrorNotifier& operator=(const MirrorNotifier&) = delete;

 private:
  void Run();

  const std::vector<std::string> mirrors_;
  const std::string ca_file_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool changed_ = false;
  bool stopping_ = false;
};

}  // namespace spoke

#endif  // SPOKE_REMOTE_MIRROR_NOTIFIER_H_
