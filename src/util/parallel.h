// Running one job split into parts on several threads, with errors as values.
#ifndef SPOKE_UTIL_PARALLEL_H_
#define SPOKE_UTIL_PARALLEL_H_

#include <functional>
#include <thread>
#include <vector>

#include "spoke/status.h"

namespace spoke {

// Runs work(0) .. work(parts - 1), part 0 on the calling thread and the others on threads of their
// own, and returns the first non-ok Status by part order. REQUIRES: parts >= 1.
inline Status RunInParallel(unsigned parts, const std::function<Status(unsigned part)>& work) {
  std::vector<Status> statuses(parts);
  std::vector<std::thread> workers;
  for (unsigned part = 1; part < parts; ++part) {
    workers.emplace_back([&, part] { statuses[part] = work(part); });
  }
  statuses[0] = work(0);
  for (auto& worker : workers) worker.join();
  for (const auto& status : statuses) SPOKE_RETURN_IF_ERROR(status);
  return Status::Ok();
}

}  // namespace spoke

#endif  // SPOKE_UTIL_PARALLEL_H_
