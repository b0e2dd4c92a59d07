// Following the ref changes other servers commit (ref_changes, postgres_schema.h), as a server of
// a shared database keeps its view of the refs current. NOTIFY wakes the follower at once, but
// carries nothing and has no replay: what was committed while the follower was not connected is
// only in the log. So the follower LISTENs before it reads, and reads after its last sequence
// number on every connect and every wake-up; a notification it missed costs at most a timeout.
#ifndef SPOKE_STORE_POSTGRES_REF_FOLLOWER_H_
#define SPOKE_STORE_POSTGRES_REF_FOLLOWER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "postgres/connection.h"
#include "spoke/status.h"
#include "store/postgres_refs.h"

namespace spoke {

class RefChangeFollower {
 public:
  // Follows the database at `url` from the changes committed after `after_seq` (0: from the
  // start). Connects on the first Next(). Not thread-safe: one thread calls Next().
  RefChangeFollower(std::string url, int64_t after_seq);

  // The changes committed after the last one returned, oldest first (at most a page of 1,000; call
  // again for more). When none are there, waits up to `timeout` for a notification and reads again;
  // empty when nothing came. A lost connection is opened again within the call, and the changes
  // committed meanwhile are read from the log. Unavailable when the database cannot be reached; the
  // next call starts from the same sequence number, so nothing is lost or repeated.
  Result<std::vector<LoggedRefChange>> Next(std::chrono::milliseconds timeout);

  // The sequence number of the last change returned.
  int64_t last_seq() const { return last_seq_; }

 private:
  Status Connect();
  Result<std::vector<LoggedRefChange>> ReadPage();
  // Connects when needed, reads a page, and when it is empty waits and reads again.
  Result<std::vector<LoggedRefChange>> ReadOrWait(std::chrono::milliseconds timeout);

  std::string url_;
  int64_t last_seq_;
  std::unique_ptr<postgres::Connection> connection_;
};

}  // namespace spoke

#endif  // SPOKE_STORE_POSTGRES_REF_FOLLOWER_H_
